"""Figures of the GAN page and the GAN arena: points in the plane, the discriminator behind them,
and which modes a generator covers over time."""
import numpy as np
import plotly.graph_objects as go

from ..plots import PALETTE, _layout

EXTENT = 3.0                       # the plane shown: [-EXTENT, EXTENT] in both coordinates
DATA_COLOUR = "rgba(90, 90, 90, 0.35)"


def add_points(fig, data, samples, names=None, colours=None, **where):
    """The data in grey, then each generator's points in its colour (default: the palette in
    order); ``samples`` (n_models, n, 2)."""
    data, colours = np.asarray(data), colours or PALETTE
    fig.add_scatter(x=data[:, 0], y=data[:, 1], mode="markers", name="data",
                    marker=dict(size=4, color=DATA_COLOUR), **where)
    for k, points in enumerate(np.asarray(samples)):
        fig.add_scatter(x=points[:, 0], y=points[:, 1], mode="markers",
                        name=names[k] if names else f"generator {k + 1}",
                        marker=dict(size=4, color=colours[k % len(colours)]), **where)
    return fig


def add_discriminator(fig, grid, probability, showscale=True, **where):
    """D's probability of "data" on a square grid (``grid``: the coordinates along each axis)."""
    return fig.add_heatmap(x=grid, y=grid, z=np.asarray(probability), zmin=0, zmax=1,
                           colorscale="RdBu", reversescale=True, opacity=0.55,
                           showscale=showscale, name="D(x)",
                           colorbar=dict(title="D(x)", len=0.8), **where)


def samples_side_by_side(data, samples, titles, title=""):
    """One panel per generator: its points over the data."""
    from plotly.subplots import make_subplots
    fig = make_subplots(rows=1, cols=len(titles), subplot_titles=list(titles), horizontal_spacing=0.06)
    for k, points in enumerate(np.asarray(samples)):
        add_points(fig, data, points[None], names=[titles[k]], colours=[PALETTE[k % len(PALETTE)]],
                   row=1, col=k + 1)
        fig.data[-2].showlegend = k == 0
    fig.update_xaxes(range=[-EXTENT, EXTENT], constrain="domain", title_text="x1")
    fig.update_yaxes(range=[-EXTENT, EXTENT], title_text="x2", col=1)
    for k in range(len(titles)):
        fig.update_yaxes(scaleanchor=f"x{k + 1 if k else ''}", scaleratio=1, row=1, col=k + 1)
    return _layout(fig, title, None, None, height=400)


def modes_over_time(steps, covered, title="Which modes a generator covers, step by step"):
    """A map of covered modes (``covered``: snapshots x modes, booleans) against the step."""
    covered = np.asarray(covered, dtype=float).T
    fig = go.Figure(go.Heatmap(x=np.asarray(steps), y=np.arange(1, covered.shape[0] + 1), z=covered,
                               zmin=0, zmax=1, colorscale=[[0, "#f2f2f2"], [1, PALETTE[1]]],
                               showscale=False, xgap=1, ygap=1,
                               hovertemplate="step %{x}, mode %{y}: %{z}<extra></extra>"))
    fig = _layout(fig, title, "generator step", "mode (around the ring)", height=300)
    return fig.update_yaxes(dtick=1)
