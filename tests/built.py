"""What the book build left for the tests: each page's glued values and executed figures.

Pages are named relative to ``chapters/`` ("classical/pca", "rl/td"); "intro" is the root.
"""
import ast
import json
import re

PLOTLY = "application/vnd.plotly.v1+json"


def plotly_array(values):
    """A figure's array as numbers, decoded when plotly stored it as base64 ("bdata"); None,
    where a trace has a gap, as NaN."""
    import base64

    import numpy as np
    if isinstance(values, dict) and "bdata" in values:
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"])
    return np.asarray(values, dtype=float)


def glued(build, page):
    """Every value a page glued, by key, as a Python value: numbers, claim verdicts and text."""
    path = build / "jupyter_execute" / "chapters" / f"{page}.glue.json"
    values = {}
    for key, output in json.loads(path.read_text()).items():
        text = output["data"]["text/plain"]
        text = re.sub(r"^np\.\w+\((.*)\)$", r"\1", text)       # np.float64(0.5) -> 0.5
        text = {"np.True_": "True", "np.False_": "False"}.get(text, text)
        try:
            values[key] = ast.literal_eval(text)
        except (SyntaxError, ValueError):
            values[key] = text
    return values


def glued_numbers(build, page):
    """The numbers among a page's glued values (verdicts and text left out)."""
    return {key: float(value) for key, value in glued(build, page).items()
            if isinstance(value, (int, float)) and not isinstance(value, bool)}


def figures(build, page):
    """The plotly figures of a built page, in page order, as JSON dicts.

    Read from the execution cache: the copy under jupyter_execute/ keeps its outputs only when
    the build executed the page, not when it took the page from the cache.
    """
    import jupytext
    from jupyter_cache import get_cache

    from conftest import ROOT
    cache = get_cache(str(build / ".jupyter_cache"))
    record = cache.match_cache_notebook(jupytext.read(ROOT / "chapters" / f"{page}.md"))
    nb = json.loads(json.dumps(cache.get_cache_bundle(record.pk).nb))
    found = [out["data"][PLOTLY] for cell in nb["cells"] for out in cell.get("outputs", [])
             if PLOTLY in out.get("data", {})]
    assert found, f"{page}: no executed figure"
    return found
