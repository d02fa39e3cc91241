"""Figures of the approximation and policy-gradient chapters: mountain car's cost-to-go, the
short corridor's objective, and histograms of gradient estimates. Each function takes plain
arrays and returns a plotly ``Figure``; nothing here learns. Curves over steps or episodes use
``book.plots.curves``.
"""
import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .. import plots      # registers the course's renderer


def cost_to_go(panels, title=""):
    """Heatmaps of -max_a q(s, a) over mountain car's (position, velocity) plane, one panel per
    entry of ``panels`` (name -> (positions, velocities, values[velocity, position])), on one
    shared colour scale: the number of steps the agent expects to need from each state."""
    names = list(panels)
    fig = make_subplots(rows=1, cols=len(names), subplot_titles=names, horizontal_spacing=0.08)
    top = max(float(np.max(values)) for _, _, values in panels.values())
    for i, (positions, velocities, values) in enumerate(panels.values()):
        fig.add_heatmap(x=positions, y=velocities, z=np.round(values, 1), zmin=0, zmax=top,
                        colorscale="Viridis", showscale=i == 0,
                        colorbar=dict(title="steps to go"), row=1, col=i + 1,
                        hovertemplate="position %{x:.2f}<br>velocity %{y:.3f}<br>%{z:.0f} steps<extra></extra>")
        fig.add_vline(x=0.5, line=dict(color="white", dash="dash"), row=1, col=i + 1)
        fig.update_xaxes(title_text="position", row=1, col=i + 1)
    fig.update_yaxes(title_text="velocity", row=1, col=1)
    fig.update_layout(title=title, height=400, margin=dict(l=60, r=20, t=80, b=50))
    return fig


def corridor_objective(p, objective, marks, title=""):
    """J(p) of the short corridor over p(right), with named policies marked on the curve
    (``marks``: name -> p) and the random policy's value as a dashed line."""
    fig = go.Figure()
    fig.add_scatter(x=p, y=objective, mode="lines", name="J(p) = v(start)",
                    line=dict(color=plots.PALETTE[0]))
    for i, (name, (x, y)) in enumerate(marks.items()):
        fig.add_scatter(x=[x], y=[y], mode="markers", name=name,
                        marker=dict(size=11, color=plots.PALETTE[i + 1]))
    random = np.interp(0.5, p, objective)
    fig.add_scatter(x=[p[0], p[-1]], y=[random, random], mode="lines",
                    name=f"random policy ({random:.1f})", line=dict(color="black", dash="dash", width=1.5))
    fig.update_yaxes(range=[-100, 0])
    return plots._layout(fig, title, "p(right), the same in every state", "value of the start state")


def gradient_histograms(samples, exact, title="", bins=60):
    """Overlaid histograms of per-episode gradient estimates (name -> samples), with the exact
    gradient as a vertical line. The axis spans the middle 99 % of all samples; the rarer
    extremes are left out (not piled into the edge bins), and the x-axis title says so."""
    fig = go.Figure()
    values = np.concatenate([np.asarray(s) for s in samples.values()])
    lo, hi = np.percentile(values, [0.5, 99.5])
    for i, (name, s) in enumerate(samples.items()):
        s = np.asarray(s)
        fig.add_histogram(x=s[(s >= lo) & (s <= hi)], name=name, opacity=0.55, histnorm="probability density",
                          xbins=dict(start=lo, end=hi, size=(hi - lo) / bins),
                          marker_color=plots.PALETTE[i])
    fig.add_vline(x=exact, line=dict(color="black", dash="dash"),
                  annotation_text=f"exact dJ/dθ = {exact:.1f}", annotation_position="top right")
    fig.update_layout(barmode="overlay")
    return plots._layout(fig, title, "one episode's estimate of dJ/dθ (middle 99 % of the samples)",
                         "density")
