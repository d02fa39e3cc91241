"""Sphinx extension: serve plotly.js once from the book's own ``_static`` folder.

Figures on the pages (see ``book.plots``) carry no copy of plotly.js; this loads the one
that ships inside the installed ``plotly`` package, so the built book works offline.
"""
import shutil
from pathlib import Path

import plotly


def _copy_plotly(app, exception):
    if exception is None and app.builder.format == "html":
        source = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
        target = Path(app.outdir) / "_static" / "plotly.min.js"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)


def setup(app):
    app.add_js_file("plotly.min.js", priority=200)
    app.connect("build-finished", _copy_plotly)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
