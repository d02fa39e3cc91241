"""Plotly's ``FigureWidget`` with its browser code loaded once per page, not once per figure.

Every ``plotly.graph_objects.FigureWidget`` carries plotly's browser code (5 MB) to the page,
and anywidget evaluates it for each figure: ten training widgets (21 figures) kept
JupyterLab busy for 29 s before they appeared. This one sends ``plotly_widget.js`` instead (a
few lines), which imports plotly's file once from the course's JupyterLab extension folder
(``./course`` links it there) or, in a front end without it, from the first figure the kernel
made, the only one that carries it. Everything else is plotly's widget, unchanged.
"""
import functools
from pathlib import Path

import plotly
import plotly.graph_objects as go
import traitlets

CODE = Path(plotly.__file__).parent / "package_data" / "widgetbundle.js"


@functools.cache
def _plotly_code():
    return CODE.read_bytes()


class FigureWidget(go.FigureWidget):
    _esm = Path(__file__).with_name("plotly_widget.js").read_text().replace(
        "__PLOTLY_VERSION__", plotly.__version__)
    _plotly_code = traitlets.Bytes(b"").tag(sync=True)
    _carrier_made = False          # whether this kernel made the figure that carries the code

    def __init__(self, *args, **kwargs):
        carrier = not FigureWidget._carrier_made
        FigureWidget._carrier_made = True
        super().__init__(*args, **kwargs)
        if carrier:
            # sent after the figure opened, its layout and data first: as part of the first
            # message (5 MB), it kept a busy browser creating the figure while its layout
            # arrived, and ipywidgets dropped the layout (a figure without title or text)
            self._plotly_code = _plotly_code()
