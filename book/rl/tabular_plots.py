"""Figures of the tabular chapters: a bandit's reward distributions, values and policies on
grids, where greedy paths go, and a policy over phase space. Each function takes plain arrays
and returns a plotly ``Figure``; nothing here learns. Curves over steps or episodes use
``book.plots.curves``.
"""
import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .. import plots      # registers the course's renderer
from .mdp import ARROWS


def _finish(fig, title, height):
    fig.update_layout(title=title, height=height, margin=dict(l=40, r=20, t=80, b=40))
    fig.update_xaxes(showticklabels=False, showgrid=False, zeroline=False, constrain="domain")
    fig.update_yaxes(showticklabels=False, showgrid=False, zeroline=False, autorange="reversed",
                     constrain="domain")
    for key in [k for k in fig.layout if k.startswith("yaxis")]:       # square cells in every panel
        fig.layout[key].scaleanchor = "x" + key.removeprefix("yaxis")
    return fig


def reward_distributions(q_star, n_samples=500, seed=0, title=""):
    """One violin per arm: samples of R ~ N(q*(a), 1) around each true value q*(a)."""
    rng = np.random.default_rng(seed)
    fig = go.Figure()
    for a, q in enumerate(q_star):
        fig.add_violin(y=np.round(q + rng.standard_normal(n_samples), 3), name=f"arm {a}", points=False,
                       line_color=plots.PALETTE[0], showlegend=False)
    fig.add_scatter(x=[f"arm {a}" for a in range(len(q_star))], y=q_star, mode="markers",
                    marker=dict(color="black", symbol="line-ew-open", size=18), name="q*(a)")
    fig.update_layout(title=title, yaxis_title="reward", height=380,
                      margin=dict(l=60, r=20, t=50, b=40))
    return fig


def grid_values(panels, title="", fmt=".1f", colorscale=((0, "#6baed6"), (1, "#f7fbff")),
                arrows=None, n_cols=3, value_name="value"):
    """Heatmaps of values on a grid, the number written in every cell, ``n_cols`` panels a row.

    ``panels`` maps a subtitle to a (rows, cols) array; ``arrows`` optionally maps some of the
    subtitles to (rows, cols, 4) boolean arrays of greedy actions (up, right, down, left),
    written under the numbers. All panels share one colour scale, titled ``value_name``;
    rows count from the top, as the grid is drawn."""
    names = list(panels)
    n_cols = min(n_cols, len(names))
    n_rows = -(-len(names) // n_cols)
    fig = make_subplots(rows=n_rows, cols=n_cols, subplot_titles=names, horizontal_spacing=0.04,
                        vertical_spacing=0.1)
    values = np.array([np.asarray(v, dtype=float) for v in panels.values()])
    zmin, zmax = np.nanmin(values), np.nanmax(values)
    for i, name in enumerate(names):
        v = np.asarray(panels[name], dtype=float)
        text = np.vectorize(lambda x: format(x, fmt))(v).astype(object)
        if arrows is not None and name in arrows:
            best = np.asarray(arrows[name])
            for r, c in np.ndindex(v.shape):
                text[r, c] += "<br>" + "".join(ARROWS[a] for a in range(4) if best[r, c, a])
        fig.add_heatmap(z=v, text=text, texttemplate="%{text}", textfont=dict(size=12),
                        colorscale=colorscale, zmin=zmin, zmax=zmax, showscale=i == 0,
                        colorbar=dict(title=value_name),
                        hovertemplate="row %{y}, column %{x}: %{z:.3f}<extra></extra>",
                        row=i // n_cols + 1, col=i % n_cols + 1)
    fig = _finish(fig, title, 60 + 290 * n_rows)
    fig.update_xaxes(showticklabels=True, dtick=1, title_text="column")
    fig.update_yaxes(showticklabels=True, dtick=1)
    return fig.update_yaxes(title_text="row", col=1)


def path_maps(panels, cliff=(), start=None, goal=None, title=""):
    """Where greedy paths go: ``panels`` maps a method to a (rows, cols) array, the fraction
    of runs whose greedy path passes through each cell. Cliff cells are drawn in grey and
    the start and goal are labelled S and G."""
    names = list(panels)
    shape = np.asarray(panels[names[0]]).shape
    fig = make_subplots(rows=len(names), cols=1, subplot_titles=names, vertical_spacing=0.12)
    for i, name in enumerate(names):
        z = np.asarray(panels[name], dtype=float).copy()
        text = np.full(shape, "", dtype=object)
        for s in cliff:
            z[np.unravel_index(s, shape)] = np.nan
            text[np.unravel_index(s, shape)] = "cliff"
        for s, label in ((start, "S"), (goal, "G")):
            if s is not None:
                text[np.unravel_index(s, shape)] = label
        fig.add_heatmap(z=z, text=text, texttemplate="%{text}", colorscale="Greens", zmin=0,
                        zmax=1, showscale=i == 0, colorbar=dict(title="share of runs"),
                        hovertemplate="row %{y}, column %{x}: %{z:.2f} of runs<extra></extra>",
                        row=i + 1, col=1)
    fig.update_layout(plot_bgcolor="#bbbbbb")
    return _finish(fig, title, 170 * len(names) + 90)


def phase_policy(actions, values, speeds, title=""):
    """A policy over phase space: for every site (x axis) and velocity (y axis), the push
    (-1, 0, +1) as a colour, and the state's value beside it."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=["optimal push", "optimal value"],
                        horizontal_spacing=0.12)
    sites = np.arange(actions.shape[1])
    fig.add_heatmap(z=actions, x=sites, y=speeds, zmin=-1, zmax=1,
                    colorscale=[[0, "#1f77b4"], [0.5, "#f2f2f2"], [1, "#d62728"]],
                    colorbar=dict(title="push", tickvals=[-1, 0, 1], x=0.44),
                    hovertemplate="site %{x}, velocity %{y}: push %{z}<extra></extra>", row=1, col=1)
    fig.add_heatmap(z=values, x=sites, y=speeds, colorscale="Viridis",
                    colorbar=dict(title="V*"),
                    hovertemplate="site %{x}, velocity %{y}: V* = %{z:.2f}<extra></extra>",
                    row=1, col=2)
    fig.update_xaxes(title="site x (target at 0)")
    fig.update_yaxes(title="velocity v", col=1)
    fig.update_layout(title=title, height=380, margin=dict(l=60, r=20, t=80, b=50))
    return fig
