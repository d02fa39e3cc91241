"""Figures from results. Every function returns a plotly ``Figure``; nothing here trains.

Importing this module registers the renderer ``course``: in JupyterLab a figure is drawn by
plotly's own extension; in the built book its HTML expects ``Plotly`` to be loaded once
from the book's static files, so no page embeds or downloads plotly.js.
"""
import html as html_lib
import re
import sys

# plotly's renderers import nbformat, which imports jsonschema, which imports rfc3987_syntax if
# installed (Jupyter's servers install it) to check IRIs, and that import builds a parser for
# a second: a second of every page's fixed cost. Nothing in a course kernel checks an IRI.
if "jsonschema" not in sys.modules:
    sys.modules.setdefault("rfc3987_syntax", None)

import numpy as np   # noqa: E402
import plotly.graph_objects as go   # noqa: E402
import plotly.io as pio   # noqa: E402
from plotly.io._base_renderers import MimetypeRenderer   # noqa: E402

PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
           "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]


HIDDEN = ("position:absolute;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;"
          "clip:rect(0,0,0,0);white-space:nowrap;border:0")


def _plain(text):
    """A plotly label as plain text: tags dropped, line breaks as "; "."""
    text = re.sub(r"<br\s*/?>", "; ", str(text or ""))
    return html_lib.unescape(re.sub(r"<[^>]+>", "", text)).strip(" ;")


def _title(part):
    """The plain text of a layout, axis or colour bar title (a dict or a string)."""
    title = (part or {}).get("title", {})
    return _plain(title.get("text") if isinstance(title, dict) else title)


def _axis_words(layout, axis, name):
    found = layout.get(axis, {}) or {}
    title = _title(found)
    if not title:
        return ""
    return f"{name} axis: {title}" + (" (log scale)" if found.get("type") == "log" else "")


def draws_nothing(trace):
    """Whether a scatter trace (as a dict) has no points: a live widget's marker of the step
    in progress, once the run has ended."""
    return trace.get("type", "scatter") == "scatter" and \
        len(trace.get("x", ())) == 0 and len(trace.get("y", ())) == 0


def text_alternative(fig_dict):
    """What a figure shows, in words, for readers who cannot see it: its title, its axes,
    its colour scale and the series it draws (the alternative text of every figure)."""
    layout = fig_dict.get("layout", {}) or {}
    title = _title(layout)
    parts = [f"Figure: {title.rstrip('.') or 'untitled'}."]
    axes = [w for w in (_axis_words(layout, "xaxis", "Horizontal"),
                        _axis_words(layout, "yaxis", "vertical")) if w]
    if axes:
        parts.append("; ".join(axes) + ".")
    names, scales = [], []
    for trace in fig_dict.get("data", []):
        name = _plain(trace.get("name"))
        if name and trace.get("visible", True) is True and name not in names and not draws_nothing(trace):
            names.append(name)
        bar_title = _title(trace.get("colorbar") or (trace.get("marker") or {}).get("colorbar"))
        if bar_title and bar_title not in scales:
            scales.append(bar_title)
    if scales:
        parts.append("Colour shows " + ", ".join(scales) + ".")
    if names:
        parts.append("Series: " + ", ".join(names) + ".")
    sliders = layout.get("sliders") or []
    if sliders:
        prefix = _plain((sliders[0].get("currentvalue") or {}).get("prefix", "")).rstrip(": ")
        values = [_plain(step.get("label")) for step in sliders[0].get("steps", [])]
        parts.append(f"A slider{' over ' + prefix if prefix else ''} shows the values "
                     + ", ".join(values) + ".")
    return " ".join(parts)


class CourseRenderer(MimetypeRenderer):
    """plotly's JSON mimetype for JupyterLab plus HTML that relies on a page-level plotly.js,
    in a ``<figure>`` whose caption, for screen readers only, says what it shows."""

    def to_mimebundle(self, fig_dict):
        html = pio.to_html(fig_dict, include_plotlyjs=False, full_html=False,
                           config={"responsive": True, "displaylogo": False})
        caption = html_lib.escape(text_alternative(fig_dict))
        html = (f'<figure class="course-figure" style="margin:0">{html}'
                f'<figcaption class="course-figure-text" style="{HIDDEN}">{caption}</figcaption>'
                f'</figure>')
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


def curves(x, ys, title="", xaxis="", yaxis="", log_y=False, mode="lines+markers",
           log_x=False, baselines=None, colours=None, dashes=None):
    """Several named curves over a shared x: ``ys`` maps name -> values. A curve shorter
    than x (a run stopped early) is drawn over the first values of x. ``colours`` maps a
    name -> its colour (default: the palette in order), so a run keeps its colour across figures;
    ``dashes`` maps a name -> a dash style ("dot", "dash"), for a curve drawn over another that
    it may cover.

    ``baselines`` maps name -> value: trivial baselines (predict the mean, chance) drawn as
    dashed horizontal lines across the x range. Log axes read as powers of ten.
    """
    fig = go.Figure()
    for i, (name, y) in enumerate(ys.items()):
        fig.add_scatter(x=np.asarray(x)[:len(y)], y=np.asarray(y), mode=mode, name=name,
                        line=dict(color=(colours or {}).get(name, PALETTE[i % len(PALETTE)]),
                                  dash=(dashes or {}).get(name)))
    x_ends = [np.min(x), np.max(x)]
    for dash, (name, value) in zip(["dash", "dot", "dashdot"] * 3, (baselines or {}).items()):
        fig.add_scatter(x=x_ends, y=[value, value], mode="lines", name=name,
                        line=dict(color="black", dash=dash, width=1.5))
    if log_y:
        fig.update_yaxes(type="log", exponentformat="power",
                         dtick=decade_step([*ys.values(), *(baselines or {}).values()]))
    if log_x:
        fig.update_xaxes(type="log", exponentformat="power", dtick=decade_step([x]))
    return _layout(fig, title, xaxis, yaxis)


def decade_step(arrays, max_ticks=12):
    """Decades between the ticks of a log axis over these values, so that it reads as powers of
    ten: 1, or 2, 5, 10 ... on a long axis; None (plotly's ticks, which also label 2 and 5)
    on an axis spanning less than two decades."""
    values = np.concatenate([np.ravel(np.asarray(a, dtype=float)) for a in arrays])
    values = values[np.isfinite(values) & (values > 0)]
    decades = np.log10(values.max() / values.min()) if values.size else 0.0
    if decades < 2:
        return None
    return next(step for step in (1, 2, 5, 10, 20, 50, 100) if decades / step <= max_ticks)


def _power_colorbar(z, title):
    """A colour bar for log10 values z that reads as powers of ten (10^-3, 10^0, ...)."""
    finite = np.asarray(z, dtype=float)[np.isfinite(z)]
    lo, hi = (np.floor(finite.min()), np.ceil(finite.max())) if finite.size else (0.0, 1.0)
    step = next(step for step in (1, 2, 5, 10, 20, 50) if (hi - lo) / step <= 10)
    ticks = np.arange(np.ceil(lo / step) * step, hi + 0.5, step)
    return dict(title=title, tickvals=ticks, ticktext=[f"10<sup>{k:.0f}</sup>" for k in ticks])


def bars(names, values, title="", xaxis="", yaxis=""):
    fig = go.Figure(go.Bar(x=list(names), y=np.asarray(values), marker_color=PALETTE[0]))
    return _layout(fig, title, xaxis, yaxis)


def _tint(colour, strength):
    """A hex colour mixed with white: strength 1 is the colour, 0 is white."""
    rgb = [int(colour[k:k + 2], 16) for k in (1, 3, 5)]
    return "rgb({},{},{})".format(*(round(255 - strength * (255 - c)) for c in rgb))


# p(class 1) from class 0's colour (p = 0) through white (0.5) to class 1's colour (p = 1)
PROBABILITY_COLOURS = [[0, _tint(PALETTE[0], 0.45)], [0.5, "white"], [1, _tint(PALETTE[1], 0.45)]]


def _boundary_traces(predict_proba, X, y, resolution=120, padding=0.3, showscale=True):
    """Traces of a decision-boundary figure: regions, the p = 0.5 line and the data.

    Two classes: the background is p(class 1), from class 0's colour (p = 0) through white
    (p = 0.5) to class 1's colour (p = 1), the same colours as the points, with a colour bar.
    More classes: each region takes the colour of the class predicted there.
    """
    X, y = np.asarray(X), np.asarray(y)
    lo, hi = X.min(0) - padding, X.max(0) + padding
    gx, gy = np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution)
    grid = np.stack(np.meshgrid(gx, gy), -1).reshape(-1, 2)
    proba = np.asarray(predict_proba(grid))
    colorbar = dict(len=0.55, y=0, yanchor="bottom", x=1.02, thickness=15)
    if proba.shape[1] == 2:
        z = proba[:, 1].reshape(resolution, resolution)
        traces = [go.Heatmap(x=gx, y=gy, z=z, colorscale=PROBABILITY_COLOURS, zmin=0, zmax=1,
                             showscale=showscale, colorbar=dict(colorbar, title="p(class 1)"),
                             hovertemplate="x1=%{x:.2f}, x2=%{y:.2f}<br>p(class 1)=%{z:.2f}"
                                           "<extra></extra>"),
                  go.Contour(x=gx, y=gy, z=z, contours=dict(start=0.5, end=0.5, size=1,
                                                            coloring="lines"),
                             colorscale=[[0, "black"], [1, "black"]],
                             line=dict(color="black", width=1.5), showscale=False,
                             name="p(class 1) = 0.5", showlegend=showscale, hoverinfo="skip")]
    else:
        k = proba.shape[1]
        z = proba.argmax(1).reshape(resolution, resolution)
        scale = [[edge, _tint(PALETTE[c % len(PALETTE)], 0.45)]
                 for c in range(k) for edge in (c / k, (c + 1) / k)]
        traces = [go.Heatmap(x=gx, y=gy, z=z, colorscale=scale, zmin=-0.5, zmax=k - 0.5,
                             showscale=showscale,
                             colorbar=dict(colorbar, title="predicted class",
                                           tickvals=list(range(k))))]
    for i, value in enumerate(np.unique(y)):
        keep = y == value
        traces.append(go.Scatter(x=X[keep, 0], y=X[keep, 1], mode="markers",
                                 name=f"class {value}", showlegend=showscale,
                                 marker=dict(size=6, color=PALETTE[i % len(PALETTE)],
                                             line=dict(width=0.5, color="white"))))
    return traces


def _legend_above_colorbar(fig):
    """Legend in the upper right, colour bar in the lower right: neither covers the other
    or the data."""
    fig.update_layout(legend=dict(x=1.02, y=1, xanchor="left", yanchor="top"),
                      margin=dict(r=150))
    return fig


def decision_boundary(predict_proba, X, y, title="", resolution=120, padding=0.3):
    """Regions coloured by p(class 1) (or by the arg-max class) over a grid, the data on top;
    region and point colours agree, and a colour bar says which is which."""
    fig = go.Figure(_boundary_traces(predict_proba, X, y, resolution, padding))
    return _legend_above_colorbar(_layout(fig, title, "x1", "x2"))


def decision_boundaries(panels, X, y, title="", resolution=80, padding=0.3):
    """Side-by-side decision boundaries of several models on the same data:
    ``panels`` maps a subplot title -> predict_proba. One colour bar and one legend."""
    from plotly.subplots import make_subplots
    fig = make_subplots(rows=1, cols=len(panels), subplot_titles=list(panels),
                        horizontal_spacing=0.08)
    for col, predict_proba in enumerate(panels.values(), start=1):
        for trace in _boundary_traces(predict_proba, X, y, resolution, padding,
                                      showscale=col == 1):
            fig.add_trace(trace, row=1, col=col)
    fig.update_xaxes(title_text="x1")
    fig.update_yaxes(title_text="x2", col=1)
    fig = _legend_above_colorbar(_layout(fig, title, None, None))
    return fig.update_layout(margin=dict(t=80))


def image_grid(images, titles, n_cols=5, title="", height=None, zrange=None):
    """Small grayscale images (e.g. PCA components or Ising configurations) side by side;
    ``height`` in pixels (default: 220 a row); ``zrange`` (low, high): one grey scale for every
    panel (default: each panel scaled to its own values)."""
    from plotly.subplots import make_subplots
    n_rows = int(np.ceil(len(images) / n_cols))
    fig = make_subplots(rows=n_rows, cols=n_cols, subplot_titles=list(titles),
                        horizontal_spacing=0.02, vertical_spacing=0.08)
    for k, image in enumerate(images):
        fig.add_heatmap(z=np.asarray(image)[::-1], colorscale="Greys", showscale=False,
                        zmin=zrange[0] if zrange else None, zmax=zrange[1] if zrange else None,
                        row=k // n_cols + 1, col=k % n_cols + 1)
    frame = dict(showticklabels=False, showgrid=False, zeroline=False, ticks="",
                 showline=True, mirror=True, linecolor="#7f7f7f",   # white images stay visible
                 constrain="domain")
    fig.update_xaxes(frame)
    fig.update_yaxes(frame)
    for k in range(len(images)):                      # square pixels in every panel
        fig.update_yaxes(scaleanchor=f"x{k + 1 if k else ''}", row=k // n_cols + 1, col=k % n_cols + 1)
    return _layout(fig, title, "", "", height=height or 220 * n_rows + 40)


def heatmaps(panels, x, y, title="", xaxis="", yaxis="", fmt=".1f"):
    """One heatmap per named panel over the same grid (each z of shape (len(y), len(x))), side
    by side, every cell labelled with its value; x and y are drawn as categories (equal cells
    for values such as 0, 1, 3, 10, 30)."""
    from plotly.subplots import make_subplots
    fig = make_subplots(rows=1, cols=len(panels), subplot_titles=list(panels), horizontal_spacing=0.12)
    for k, (name, z) in enumerate(panels.items()):
        z = np.asarray(z, dtype=float)
        fig.add_heatmap(x=[str(v) for v in x], y=[str(v) for v in y], z=z, name=name,
                        text=[[format(v, fmt) for v in row] for row in z], texttemplate="%{text}",
                        colorscale="Viridis", showscale=False, row=1, col=k + 1,
                        hovertemplate=f"{xaxis} %{{x}}, {yaxis} %{{y}}<br>{name}: %{{z:{fmt}}}<extra></extra>")
        fig.update_xaxes(title_text=xaxis, type="category", row=1, col=k + 1)
        fig.update_yaxes(title_text=yaxis if k == 0 else None, type="category", row=1, col=k + 1)
    fig.update_layout(title=title, height=400, margin=dict(l=60, r=20, t=70, b=50))
    return fig


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
    z = log10_heat(norms)
    fig = go.Figure(go.Heatmap(x=np.arange(1, len(norms) + 1), y=np.arange(norms.shape[1]), z=z,
                               colorscale="Viridis", colorbar=_power_colorbar(z, "||dL/dh_t||"),
                               hovertemplate="training step %{x}, t = %{y}<br>"
                                             "log10 ||dL/dh_t|| = %{z:.2f}<extra></extra>"))
    return _layout(fig, title, "training step", "time step t", height=380)


def descent_paths(ws, bs, loss, paths, title="", xaxis="w", yaxis="b", colours=None):
    """Filled contours of a loss surface (loss has shape (len(bs), len(ws))) on a log colour
    scale that reads as powers of ten, with descent paths on top: ``paths`` maps name ->
    (n, 2) points (``colours`` name -> colour). The legend sits under the plot, clear of the
    data and the colour bar."""
    with np.errstate(divide="ignore"):
        z = np.log10(np.asarray(loss, dtype=float))
    z[~np.isfinite(z)] = np.nan
    fig = go.Figure(go.Contour(x=ws, y=bs, z=z, colorscale="Blues", ncontours=25,
                               contours=dict(showlines=False), colorbar=_power_colorbar(z, "loss"),
                               hovertemplate=f"{xaxis}=%{{x:.2f}}, {yaxis}=%{{y:.2f}}<br>"
                                             "log10 loss = %{z:.2f}<extra></extra>"))
    for k, (name, points) in enumerate(paths.items()):
        points = np.asarray(points)
        fig.add_scatter(x=points[:, 0], y=points[:, 1], mode="lines+markers", name=name,
                        line=dict(color=(colours or {}).get(name, PALETTE[(k + 1) % len(PALETTE)])),
                        marker=dict(size=4))
    fig.update_xaxes(range=[np.min(ws), np.max(ws)])
    fig.update_yaxes(range=[np.min(bs), np.max(bs)])
    _layout(fig, title, xaxis, yaxis, height=500)
    return fig.update_layout(legend=dict(orientation="h", x=0, y=-0.15, xanchor="left",
                                         yanchor="top"), margin=dict(b=90))


def eigenvalues(spectra, title="Eigenvalues", colours=None):
    """Eigenvalues in the complex plane, one trace per matrix (``spectra`` maps name -> complex
    values, ``colours`` name -> colour), with the unit circle |λ| = 1 dotted; square axes."""
    theta = np.linspace(0, 2 * np.pi, 200)
    fig = go.Figure(go.Scatter(x=np.cos(theta), y=np.sin(theta), mode="lines", name="|λ| = 1",
                               line=dict(color="black", dash="dot")))
    for k, (name, values) in enumerate(spectra.items()):
        values = np.asarray(values)
        colour = (colours or {}).get(name, PALETTE[k % len(PALETTE)])
        fig.add_scatter(x=values.real, y=values.imag, mode="markers", name=name,
                        marker=dict(size=5, color=colour))
    fig.update_yaxes(scaleanchor="x")
    return _layout(fig, title, "Re λ", "Im λ", height=430).update_layout(width=560)


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


def slider(frames, label, active=None, title=None, common_colours=True):
    """One figure and a slider that shows one of several frames, for a static page that a
    reader can still explore: ``frames`` maps each value of a control to the figure it gives
    (all laid out alike). Traces that are the same in every frame are drawn once; each step
    of the slider shows its own traces and title. ``active``: the value shown first (default:
    the first). ``title``: a title for every frame instead of each frame's own. Heatmaps share
    one colour range across frames unless ``common_colours`` is False (each frame's own)."""
    values = list(frames)
    figures = [go.Figure(frames[value]) for value in values]
    for frame in figures:                      # a live figure's random trace ids: not kept
        frame.update_traces(uid=None)
    active = 0 if active is None else values.index(active)
    keys = [[pio.json.to_json_plotly(trace.to_plotly_json()) for trace in fig.data]
            for fig in figures]
    shared = [i for i, key in enumerate(keys[0])
              if all(len(other) == len(keys[0]) and other[i] == key for other in keys)]
    fig = go.Figure(layout=figures[active].layout)
    owners = []
    for i in shared:
        fig.add_trace(figures[0].data[i])
        owners.append(None)
    for k, frame in enumerate(figures):
        for i, trace in enumerate(frame.data):
            if i not in shared or len(frame.data) != len(figures[0].data):
                fig.add_trace(trace)
                fig.data[-1].visible = k == active
                owners.append(k)
    if common_colours:
        _common_colour_range(fig, owners)
    titles = [title if title is not None else (frame.layout.title.text or "") for frame in figures]
    steps = [dict(method="update", label=f"{value:g}" if isinstance(value, float) else str(value),
                  args=[{"visible": [owner is None or owner == k for owner in owners]},
                        {"title.text": titles[k], **_axis_ranges(frame)}])
             for k, (value, frame) in enumerate(zip(values, figures))]
    height = (fig.layout.height or 450) + 90
    bottom = (fig.layout.margin.b or 50) + 90
    return fig.update_layout(title_text=titles[active], height=height, margin_b=bottom,
                             sliders=[dict(active=active, steps=steps, pad=dict(t=55),
                                           currentvalue=dict(prefix=f"{label}: "))])


def _axis_ranges(frame):
    """A frame's own axis ranges, for the slider to set with it (autorange where it has none)."""
    ranges = {}
    for axis in ("xaxis", "yaxis"):
        fixed = frame.layout[axis].range
        if fixed is not None:
            ranges[f"{axis}.range"] = list(fixed)
        else:
            ranges[f"{axis}.autorange"] = True
    return ranges


def _common_colour_range(fig, owners):
    """Heatmaps and contours of different frames share one colour range, so that a colour
    means the same value whichever frame the slider shows."""
    import base64
    kinds = ("heatmap", "contour")
    frames = [t for t, owner in zip(fig.data, owners) if owner is not None and t.type in kinds
              and t.zmin is None and t.zmax is None]
    if len(frames) < 2:
        return
    def values(z):
        if isinstance(z, dict) and "bdata" in z:
            return np.frombuffer(base64.b64decode(z["bdata"]), dtype=z["dtype"])
        return np.asarray(z, dtype=float)
    found = np.concatenate([values(t.z).ravel() for t in frames])
    found = found[np.isfinite(found)]
    for trace in frames:
        trace.zmin, trace.zmax = float(found.min()), float(found.max())
