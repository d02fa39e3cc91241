"""Plotly's ``FigureWidget`` with its browser code loaded once per page, not once per figure.

Every ``plotly.graph_objects.FigureWidget`` carries plotly's browser code (5 MB) to the page,
and anywidget evaluates it for each figure: ten training widgets (21 figures) kept
JupyterLab busy for 29 s before they appeared. This one sends ``plotly_widget.js`` instead (a
few lines), which imports plotly's file once from the course's JupyterLab extension folder
(``./course`` links it there) or, in a front end without it, from ``PlotlyCode``: a model of
its own that the kernel opens once, before its first figure. (The first figure used to carry
the code in its opening message; on a busy machine the browser was still creating it from 5
MB when its layout arrived, and the layout was dropped: a figure without title or text.)
Everything else is plotly's widget, unchanged.
"""
from pathlib import Path

import anywidget
import plotly
import plotly.graph_objects as go
import traitlets

CODE = Path(plotly.__file__).parent / "package_data" / "widgetbundle.js"


class PlotlyCode(anywidget.AnyWidget):
    """Plotly's browser code for front ends without the course's extension; never shown."""
    _esm = Path(__file__).with_name("plotly_code.js").read_text()
    code = traitlets.Bytes(b"").tag(sync=True)


class FigureWidget(go.FigureWidget):
    _esm = Path(__file__).with_name("plotly_widget.js").read_text().replace(
        "__PLOTLY_VERSION__", plotly.__version__)
    _carrier = None                # this kernel's PlotlyCode, opened before its first figure

    def __init__(self, *args, **kwargs):
        if FigureWidget._carrier is None:
            FigureWidget._carrier = PlotlyCode(code=CODE.read_bytes())
        super().__init__(*args, **kwargs)
