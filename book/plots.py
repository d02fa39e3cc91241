"""Figures from results. Every function returns a plotly ``Figure``; nothing here trains.

Importing this module registers the renderer ``course``: in JupyterLab a figure is drawn by
plotly's own extension; in the built book its HTML expects ``Plotly`` to be loaded once
from the book's static files, so no page embeds or downloads plotly.js.
"""
import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
from plotly.io._base_renderers import MimetypeRenderer

PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
           "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]


class CourseRenderer(MimetypeRenderer):
    """plotly's JSON mimetype for JupyterLab plus HTML that relies on a page-level plotly.js."""

    def to_mimebundle(self, fig_dict):
        html = pio.to_html(fig_dict, include_plotlyjs=False, full_html=False,
                           config={"responsive": True, "displaylogo": False})
        return {"application/vnd.plotly.v1+json": fig_dict, "text/html": html}


pio.renderers["course"] = CourseRenderer()
pio.renderers.default = "course"
pio.templates.default = "plotly_white"


def _layout(fig, title, xaxis, yaxis, height=420):
    fig.update_layout(title=title, xaxis_title=xaxis, yaxis_title=yaxis, height=height,
                      margin=dict(l=60, r=20, t=50, b=50))
    return fig


def scatter_2d(points, labels, title="", axis_names=("component 1", "component 2"),
               label_name="label", continuous=False):
    """A 2D scatter coloured by discrete labels (one trace each) or by a continuous value."""
    points, labels = np.asarray(points), np.asarray(labels)
    fig = go.Figure()
    if continuous:
        fig.add_scatter(x=points[:, 0], y=points[:, 1], mode="markers",
                        marker=dict(color=labels, colorscale="Viridis", size=6,
                                    colorbar=dict(title=label_name)),
                        hovertemplate=f"{label_name}=%{{marker.color:.3g}}<extra></extra>")
    else:
        for i, value in enumerate(np.unique(labels)):
            keep = labels == value
            fig.add_scatter(x=points[keep, 0], y=points[keep, 1], mode="markers",
                            name=f"{label_name} {value}",
                            marker=dict(size=6, color=PALETTE[i % len(PALETTE)]))
    return _layout(fig, title, *axis_names)


def curves(x, ys, title="", xaxis="", yaxis="", log_y=False, mode="lines+markers"):
    """Several named curves over a shared x: ``ys`` maps name -> values."""
    fig = go.Figure()
    for i, (name, y) in enumerate(ys.items()):
        fig.add_scatter(x=np.asarray(x), y=np.asarray(y), mode=mode, name=name,
                        line=dict(color=PALETTE[i % len(PALETTE)]))
    if log_y:
        fig.update_yaxes(type="log")
    return _layout(fig, title, xaxis, yaxis)


def bars(names, values, title="", xaxis="", yaxis=""):
    fig = go.Figure(go.Bar(x=list(names), y=np.asarray(values), marker_color=PALETTE[0]))
    return _layout(fig, title, xaxis, yaxis)


def decision_boundary(predict_proba, X, y, title="", resolution=120, padding=0.3):
    """Heatmap of p(class 1) (or the arg-max class) over a grid, with the data on top."""
    X, y = np.asarray(X), np.asarray(y)
    lo, hi = X.min(0) - padding, X.max(0) + padding
    gx, gy = np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution)
    grid = np.stack(np.meshgrid(gx, gy), -1).reshape(-1, 2)
    proba = predict_proba(grid)
    z = proba[:, 1] if proba.shape[1] == 2 else proba.argmax(1)
    fig = go.Figure(go.Heatmap(x=gx, y=gy, z=z.reshape(resolution, resolution),
                               colorscale="RdBu", opacity=0.55, showscale=False))
    for i, value in enumerate(np.unique(y)):
        keep = y == value
        fig.add_scatter(x=X[keep, 0], y=X[keep, 1], mode="markers", name=f"class {value}",
                        marker=dict(size=6, color=PALETTE[i % len(PALETTE)],
                                    line=dict(width=0.5, color="white")))
    return _layout(fig, title, "x1", "x2")


def image_grid(images, titles, n_cols=5, title=""):
    """Small grayscale images (e.g. PCA components or Ising configurations) side by side."""
    from plotly.subplots import make_subplots
    n_rows = int(np.ceil(len(images) / n_cols))
    fig = make_subplots(rows=n_rows, cols=n_cols, subplot_titles=list(titles),
                        horizontal_spacing=0.02, vertical_spacing=0.08)
    for k, image in enumerate(images):
        fig.add_heatmap(z=np.asarray(image)[::-1], colorscale="Greys", showscale=False,
                        row=k // n_cols + 1, col=k % n_cols + 1)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, scaleanchor="x")
    return _layout(fig, title, "", "", height=220 * n_rows + 40)


def log10_heat(norms):
    """log10 of (training steps, T) gradient norms, transposed for a heatmap over (step, t);
    zero or non-finite norms become gaps (NaN)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.log10(np.asarray(norms, dtype=float)).T
    z[~np.isfinite(z)] = np.nan
    return z


def gradient_heatmap(grad_norms, title="log10 ||dL/dh_t|| during training", model=0):
    """Heatmap of recorded norms: grad_norms is a list over training steps of (T, K) arrays."""
    norms = np.asarray(grad_norms, dtype=float)[..., model]      # (steps, T)
    fig = go.Figure(go.Heatmap(x=np.arange(1, len(norms) + 1), y=np.arange(norms.shape[1]),
                               z=log10_heat(norms),
                               colorscale="Viridis", colorbar=dict(title="log10")))
    return _layout(fig, title, "training step", "time step t", height=380)


def step_norms(norms, labels, title="||dL/dh_t|| over the sequence"):
    """One curve per model: norms of shape (T, K), labels of length K; log scale."""
    norms = np.asarray(norms, dtype=float)
    return curves(np.arange(len(norms)), {label: norms[:, k] for k, label in enumerate(labels)},
                  title=title, xaxis="time step t", yaxis="||dL/dh_t||", log_y=True, mode="lines")


def race_traces(race):
    """Contour of an optimizer race's surface (log10 where the loss is positive), one path per
    optimizer, and the start: the traces of the static figure and of the live widget."""
    xs, ys, loss = race.contour()
    traces = [go.Contour(x=xs, y=ys, z=np.log10(loss) if race.surface.positive else loss, colorscale="Greys",
                         reversescale=True, showscale=False, ncontours=30,
                         contours=dict(coloring="lines"), hoverinfo="skip")]
    for k, (name, path) in enumerate(race.paths.items()):
        path = np.asarray(path)
        traces.append(go.Scatter(x=path[:, 0], y=path[:, 1], mode="lines+markers",
                                 name=race.label(name), marker=dict(size=3),
                                 line=dict(color=PALETTE[k])))
    traces.append(go.Scatter(x=[race.start[0]], y=[race.start[1]], mode="markers", showlegend=False,
                             marker=dict(size=10, color="black", symbol="x")))
    return traces


def race(race, title="Optimizers racing on one loss surface"):
    fig = go.Figure(race_traces(race))
    fig.update_xaxes(range=race.surface.x_range)
    fig.update_yaxes(range=race.surface.y_range)
    return _layout(fig, title, "x", "y", height=460)
