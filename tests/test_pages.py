"""Every page of the table of contents: executed by the book build, fast, deterministic, complete.

The build executes each page once (jupyter-book, cached); these tests read its outputs from
_build/jupyter_execute and the execution cache. Determinism is shown by executing again the
pages of DETERMINISM, one for each kind of randomness the book draws (executing every page
again doubled the build's cost in the suite).
A page's time is budgeted in reference steps (``book.speed``), timed in the same run, so that
the budget means the same on a fast machine and on a slow one.
"""
import json
import re
from pathlib import Path

import jupytext
import numpy as np
import pytest
from jupyter_cache import get_cache
from nbclient import NotebookClient

from book.execute_pages import ONE_THREAD
from built import plotly_array
from conftest import ROOT, ceiling, toc_pages

PAGES = toc_pages()
INDEX = "chapters/labs/index"      # the research labs' table: text quoting the labs' glued verdicts
CONTENT = [p for p in PAGES if p not in ("chapters/intro", INDEX)]
PLOTLY = "application/vnd.plotly.v1+json"
# Each page executes within PAGE_STEPS reference steps in the build. The budget of "Any machine
# II" is 700 for a page alone, and every page meets it (benchmarks/budgets.py times each page
# alone: 147 to about 660 steps). Here the build's own times are read, two pages at a time on
# a 2-core machine, each 5 to 20 % slower than alone, against a reference step that varies
# by a third between runs (5.0 to 7.3 ms here): measured 147 to 714. A guard against a page
# that grows, not the budget itself.
PAGE_STEPS = 1000
# Executed a second time and compared with the build's outputs: between them every source of
# randomness the pages use. Seeded numpy generators and scikit-learn's random_state (k-means);
# torch's seeded initialization and training, in the compiled loops (BPTT); an explorable's
# static frames, each a run of the widget's own training loop, and the RL agents' generators
# (TD). The rest is shown by the modules' tests, at their own seeds: gymnasium's environments
# (test_rl_deep: the vectorized CartPole and mountain car equal gymnasium's step by step),
# the widgets' runs (test_widgets: "same seed, same curves").
DETERMINISM = ["chapters/classical/kmeans", "chapters/recurrent/bptt", "chapters/rl/td"]


def cache_record(build, page):
    """The execution-cache record of the page's current source (None if never executed)."""
    cache = get_cache(str(build / ".jupyter_cache"))
    try:
        return cache, cache.match_cache_notebook(jupytext.read(ROOT / f"{page}.md"))
    except KeyError:
        return cache, None


def executed(build, page):
    """The page as the build executed it, as plain JSON."""
    cache, record = cache_record(build, page)
    return None if record is None else json.loads(json.dumps(cache.get_cache_bundle(record.pk).nb))


def comparable_outputs(nb):
    """What a reader sees as numbers: printed text, plain reprs and plotly figure data."""
    found = []
    for cell in nb["cells"]:
        streams = "".join("".join(o["text"]) for o in cell.get("outputs", [])
                          if o["output_type"] == "stream")   # the build merges stream outputs
        if streams:
            found.append(streams)
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if "text/plain" in data:
                found.append("".join(data["text/plain"]))
            if PLOTLY in data:
                found.append(json.dumps(data[PLOTLY]["data"], sort_keys=True))
    return found


@pytest.mark.parametrize("page", PAGES)
def test_page_executed_without_error_within_its_budget(built_book, page, reference_step):
    source = ROOT / f"{page}.md"
    nb = jupytext.read(source)
    has_code = any(c.cell_type == "code" for c in nb.cells)
    if not has_code:
        pytest.skip("a text-only page")
    result = executed(built_book, page)
    assert result is not None, f"{page} was not executed by the build"
    outputs = [o for c in result["cells"] for o in c.get("outputs", [])]
    assert outputs and not [o for o in outputs if o["output_type"] == "error"]
    _, record = cache_record(built_book, page)
    steps = record.data["execution_seconds"] / reference_step
    assert steps <= PAGE_STEPS, f"{page}: {steps:.0f} reference steps, over its {PAGE_STEPS}"


@pytest.mark.parametrize("page", DETERMINISM)
def test_page_is_deterministic(built_book, page, monkeypatch):
    for name, value in ONE_THREAD.items():        # the kernel's BLAS threads as in the build
        monkeypatch.setenv(name, value)
    nb = jupytext.read(ROOT / f"{page}.md")
    nb.cells = [c for c in nb.cells if "skip-execution" not in c.metadata.get("tags", [])]
    NotebookClient(nb, timeout=round(ceiling(300)), kernel_name="python3",   # a hang guard
                   resources={"metadata": {"path": str(ROOT / Path(page).parent)}}).execute()
    first = comparable_outputs(executed(built_book, page))
    again = comparable_outputs(json.loads(json.dumps(nb)))
    assert len(first) == len(again)
    for a, b in zip(first, again):
        assert a == b


@pytest.mark.parametrize("page", CONTENT)
def test_page_has_every_part_of_a_chapter(built_book, page):
    text = (ROOT / f"{page}.md").read_text()
    lab = page.startswith("chapters/labs/")        # the research labs have no exercise (issue 21)
    for part in (":::{admonition} You will learn", "```{math}", "```{code-cell}",
                 "## Summary", "## References", "{cite}`", ":::{admonition} Try it",
                 *(() if lab else ("{download}`exercises/",))):
        assert part in text, f"{page} lacks {part!r}"
    if lab:
        assert "**The paper beside this lab.**" in text and "**The paper's question**" in text
    else:
        exercise = text.split("{download}`exercises/")[1].split(" ")[0]
        assert (ROOT / "exercises" / exercise).exists()
    figures = [o for c in executed(built_book, page)["cells"] for o in c.get("outputs", [])
               if PLOTLY in o.get("data", {})]
    assert figures, f"{page} shows no executed plotly figure"


def test_pages_that_train_torch_models_say_where():
    for page in PAGES:
        text = (ROOT / f"{page}.md").read_text()
        if "fit_softmax_regression" in text or "torch" in text.split("## Exercise")[0]:
            assert "describe(" in text or "fit.device" in text, page


def test_numbers_in_prose_are_glued_from_outputs(built_book):
    for page in CONTENT:
        text = (ROOT / f"{page}.md").read_text()
        for key in [part.split("`")[1].split(":")[0] for part in text.split("{glue:text}")[1:]]:
            glued = json.loads((built_book / "jupyter_execute" / f"{page}.glue.json").read_text())
            assert key in glued, f"{page}: {key} is quoted but never glued"


@pytest.mark.parametrize("page", PAGES)
def test_every_figure_says_in_words_what_it_shows(built_book, page):
    """Each figure of the built page carries a text alternative (a caption for screen readers)
    with its title, axes, colour scale and series (``book.plots.text_alternative``)."""
    html = (built_book / "html" / f"{page}.html").read_text()
    captions = re.findall(r'<figcaption class="course-figure-text"[^>]*>(.*?)</figcaption>', html, re.S)
    assert len(captions) == html.count("Plotly.newPlot("), "a figure without its text alternative"
    for caption in captions:
        assert caption.startswith("Figure: ") and "Figure: untitled" not in caption, caption


def test_introduction_describes_the_book_as_its_table_of_contents_has_it():
    """The introduction's list of parts is the table of contents: every part under its own
    caption, its pages in order; the number of parts it states; and its map of the code names
    every subpackage of ``book`` that the pages use."""
    import yaml
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    text = (ROOT / "chapters" / "intro.md").read_text()
    bullets = re.split(r"\n- ", text.split("## Parts", 1)[1].split("```", 1)[0].strip())
    bullets = [b.lstrip("- ").replace("\n", " ") for b in bullets]
    assert len(bullets) == len(toc["parts"])
    for bullet, part in zip(bullets, toc["parts"]):
        assert bullet.startswith(part["caption"]), (bullet[:60], part["caption"])
        linked = re.findall(r"\{doc\}`([^`]+)`", bullet)
        assert linked == [c["file"].removeprefix("chapters/") for c in part["chapters"]], part["caption"]
    words = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight"}
    assert f"The book has {words[len(toc['parts'])]} parts" in " ".join(text.split())
    pages = " ".join((ROOT / f"{page}.md").read_text() for page in toc_pages())
    packages = sorted(p.parent.name for p in (ROOT / "book").glob("*/__init__.py")
                      if re.search(rf"\bbook\.{p.parent.name}\b|from book import .*\b{p.parent.name}\b", pages))
    code_map = text.split("## How the code is organised", 1)[1].split("##", 1)[0]
    assert len(packages) >= 6 and [p for p in packages if f"`book.{p}`" not in code_map] == []


def _coordinates(values):
    """One coordinate of a trace's points: numbers rounded so that equal numbers compare equal,
    categories (bar labels, names) as they are; None where nothing is drawn."""
    try:
        numbers = plotly_array(values)
    except (TypeError, ValueError):
        return [None if v is None else str(v) for v in values]
    return [round(v, 9) if np.isfinite(v) else None for v in numbers.tolist()]


def _points(trace):
    """A trace's drawn points as a set of (x, y)."""
    x, y = _coordinates(trace["x"]), _coordinates(trace["y"])
    if len(x) != len(y):
        return set()
    return {(a, b) for a, b in zip(x, y) if a is not None and b is not None}


def hidden_traces(figure, share=0.9):
    """Names of legend entries whose points lie, at least ``share`` of them, under later traces
    of the same axes drawn the same way, solid and opaque (a dash or some transparency on top
    lets the lower one show)."""
    traces = [t for t in figure.get("data", []) if t.get("type", "scatter") == "scatter"
              and t.get("x") is not None and t.get("y") is not None and t.get("visible", True) is True]
    hidden = []
    for i, low in enumerate(traces):
        points = _points(low)
        if low.get("showlegend") is False or not points:
            continue
        covering = set()
        for high in traces[i + 1:]:
            if ((low.get("xaxis"), low.get("yaxis")) == (high.get("xaxis"), high.get("yaxis"))
                    and (high.get("line") or {}).get("dash") in (None, "solid")
                    and high.get("opacity", 1) == 1 and high.get("mode") == low.get("mode")):
                covering |= _points(high)
        if len(points & covering) >= share * len(points):
            hidden.append(low.get("name"))
    return hidden


@pytest.mark.parametrize("page", CONTENT)
def test_no_legend_entry_is_drawn_under_another(built_book, page):
    """Every series a legend names can be seen: none lies, at 90 % of its points or more, under
    later solid ones."""
    result = executed(built_book, page)
    assert result is not None, f"{page} was not executed by the build"
    figures = [o["data"][PLOTLY] for c in result["cells"] for o in c.get("outputs", [])
               if PLOTLY in o.get("data", {})]
    found = {}
    for k, figure in enumerate(figures):
        frames = [figure] + [dict(data=f.get("data", [])) for f in figure.get("frames", [])]
        for slider in (figure.get("layout") or {}).get("sliders", []):     # a slider's steps
            for step in slider.get("steps", []):
                shown = (step.get("args") or [{}])[0].get("visible")
                if isinstance(shown, list) and len(shown) == len(figure["data"]):
                    frames.append(dict(data=[dict(t, visible=v) for t, v in zip(figure["data"], shown)]))
        for frame in frames:
            for name in hidden_traces(frame):
                found.setdefault(k, []).append(name)
    assert not found, f"{page}: figure -> legend entries hidden under another: {found}"


def test_a_curve_drawn_on_another_counts_as_hidden_unless_dashed():
    line = dict(type="scatter", mode="lines", x=[1, 2, 3], y=[4, 5, 6])
    assert hidden_traces(dict(data=[dict(line, name="a"), dict(line, name="b")])) == ["a"]
    assert hidden_traces(dict(data=[dict(line, name="a"), dict(line, name="b", line=dict(dash="dot"))])) == []
    assert hidden_traces(dict(data=[dict(line, name="a"), dict(line, name="b", y=[4, 5, 7])])) == []
    long = dict(type="scatter", mode="lines", x=list(range(20)), y=[0.0] * 20)
    mostly = dict(long, name="b", y=[0.0] * 19 + [1.0])         # the same but for one point
    assert hidden_traces(dict(data=[dict(long, name="a"), mostly])) == ["a"]
