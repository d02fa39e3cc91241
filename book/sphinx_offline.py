"""Sphinx extension: a static book that loads nothing from elsewhere and logs no errors.

- plotly.js is served once from the book's own ``_static`` folder (figures on the pages,
  see ``book.plots``, carry no copy of it), taken from the installed ``plotly`` package;
- scripts registered twice (sphinx-thebe does so under Jupyter Book 1, and the browser
  then reports a redeclared constant) are included once;
- the theme gets an explicit colour mode (an empty one is reported as an error).
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


def _unique_scripts(app, pagename, templatename, context, doctree):
    seen, unique = set(), []
    for script in context.get("script_files", []):
        attributes = getattr(script, "attributes", {})
        key = (getattr(script, "filename", None) or "", attributes.get("body"))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"][:] = unique


def _default_mode(app, config):
    config.html_context.setdefault("default_mode", "light")   # read by pydata's layout.html


def setup(app):
    app.add_js_file("plotly.min.js", priority=200)
    app.connect("config-inited", _default_mode)
    app.connect("html-page-context", _unique_scripts, priority=100)  # before any handler that ends the event
    app.connect("build-finished", _copy_plotly)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
