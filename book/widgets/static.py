"""A widget's runs, computed when the book builds, as one figure with a slider: the static
book stays explorable without a kernel.

``explorable(ClippingExplorer, "clip", [0.1, 1, 10])`` makes the widget (a class is made
without a browser channel; an instance is used as it is), trains it to the end (``run_to_end``)
once per value of one control, the other controls at their values, and returns one plotly
figure of the chosen widget figure whose slider moves between the runs, each titled with the
widget's own words for how it ended, and the runs by value. For a control that only changes
what is drawn (``drawn_only``), the widget trains once and each value is a redraw. Heatmaps
share one colour range across the frames unless ``common_colours`` is False. Runs trained
elsewhere, one per value (``trained``), are drawn by the widget (``show``) instead of trained
again: a page's own computation then serves its figure and the slider's frames. For a control
that counts training steps, ``replay`` trains once, to the largest value, and each frame shows
the run as it stood after that many steps (``widget.after``): what a run of that length gives.
"""
import contextlib
import textwrap

import plotly.graph_objects as go
import plotly.io as pio

from .. import plots


@contextlib.contextmanager
def without_browser():
    """Widgets made here open no channel to a browser. A page's kernel would otherwise send
    their state to the notebook, and the built page would carry it (megabytes) with a script
    from the network to draw widgets that nobody shows."""
    from ipywidgets import Widget
    opening = Widget.open
    Widget.open = lambda self: None
    try:
        yield
    finally:
        Widget.open = opening


def note_lines(note, width):
    """A run's note in lines of at most ``width`` characters, broken between its "; "-separated
    clauses where they fit (a clause longer than a line is wrapped on its own)."""
    lines = []
    for clause in note.split("; "):
        if lines and len(lines[-1]) + 2 + len(clause) <= width:
            lines[-1] += "; " + clause
        else:
            if lines:
                lines[-1] += ";"
            lines += textwrap.wrap(clause, width)
    return lines


def frame(fig, note=None):
    """One frame for ``plots.slider``: the figure as a dict, with a run's note (how it ended)
    under its title. A frame in the default template leaves it out, for the slider's figure
    to apply as plotly applies a default: checked once, not once per frame (checking its
    hundreds of properties cost more than drawing the frame)."""
    shown = fig.to_dict()
    for trace in shown["data"]:       # a live marker with nothing to mark: not in the legend
        if plots.draws_nothing(trace):
            trace["showlegend"] = False
    layout = shown["layout"]
    if layout.get("template") == _default_template():
        del layout["template"]
    title = (layout.get("title") or {}).get("text") or ""
    if note:
        lines = note_lines(note, int((layout.get("width") or 700) / 6.5))
        title += "".join(f"<br><sup>{line}</sup>" for line in lines)
        margin = layout.setdefault("margin", {})
        margin["t"] = (margin.get("t") or 45) + 16 * len(lines)
    layout.setdefault("title", {})["text"] = title
    return shown


def _default_template():
    template = pio.templates.default
    return (template if isinstance(template, go.layout.Template)
            else pio.templates[template]).to_plotly_json()


def explorable(widget, control, values, figure=0, drawn_only=False, label=None,
               common_colours=True, trained=None, replay=False, **settings):
    if isinstance(widget, type):               # a widget class: made here, with no browser
        with without_browser():
            widget = widget()
    box = getattr(widget, control)
    before = {name: getattr(widget, name).value for name in (control, *settings)}
    frames, runs = {}, {}
    if drawn_only:
        run, note = widget.run_to_end(**settings)
    if replay:
        whole, _ = widget.run_to_end(**settings, **{control: max(values)})
        trained = {value: widget.after(whole, value) for value in values}
    for value in values:
        if trained is not None:
            run = trained[value]
            note = widget.show(run, **settings, **{control: value})
        elif drawn_only:
            box.value = value
            widget._draw(run)
        else:
            run, note = widget.run_to_end(**settings, **{control: value})
        frames[value] = frame(widget.figures[figure], None if drawn_only else note)
        runs[value] = run
    for name, value in before.items():
        getattr(widget, name).value = value
    active = before[control] if before[control] in frames else None
    return plots.slider(frames, label or box.description, active=active,
                        common_colours=common_colours), runs
