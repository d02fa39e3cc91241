"""Feedback pages open offline: a real ``nbgrader generate_feedback`` page, from disk, in
headless Chromium with the network cut, draws every formula of the statement and asks for
nothing from the network (book/grading/offline.py)."""
import re
from pathlib import Path

import nbformat
import pytest

import chromium
from submissions import nbgrader, released, submit

ROOT = Path(__file__).resolve().parents[1]

ASSIGNMENT = "linear_regression"       # its statement has inline math: X^T X w = X^T y, ...
MATH = re.compile(r"(?<!\\)\$\$?(.+?)(?<!\\)\$\$?", re.S)


def statement_math(nb):
    return [tex for cell in nb.cells if cell.cell_type == "markdown"
            for tex in MATH.findall(cell.source)]


@pytest.fixture(scope="module")
def feedback(tmp_path_factory):
    course = released(tmp_path_factory.mktemp("offline_course"), [ASSIGNMENT], timeout=900)
    solution = nbformat.read(course / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    submit(course, "alice", ASSIGNMENT, solution)
    nbgrader(course, "autograde", ASSIGNMENT, timeout=900)
    nbgrader(course, "generate_feedback", ASSIGNMENT, timeout=900)
    return course / "feedback" / "alice" / ASSIGNMENT / f"{ASSIGNMENT}.html", statement_math(solution)


def test_every_statement_converts_to_mathml():
    from book.grading.offline import tex_to_mathml
    for path in sorted((ROOT / "solutions").glob("*/*.ipynb")):
        for tex in statement_math(nbformat.read(path, as_version=4)):
            assert tex_to_mathml(tex).startswith("<math"), (path.name, tex)


def test_exporter_writes_mathml_and_drops_remote_scripts():
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
    from book.grading.offline import OfflineHTMLExporter
    latex = new_output("display_data", data={"text/latex": r"$\displaystyle \frac{1}{2}$"})
    nb = new_notebook(cells=[new_markdown_cell(r"Let $x^2 \in \mathbb{R}$, not `$code$`."),
                             new_code_cell("Math(...)", outputs=[latex])])
    page, _ = OfflineHTMLExporter(template_name="classic").from_notebook_node(nb)
    assert page.count("<math") == 2 and "<code>$code$</code>" in page
    assert not re.search(r"<script[^>]*src=|<link[^>]*href=\"(https?:)?//|text/x-mathjax-config", page)


@pytest.mark.browser
@pytest.mark.skipif(not Path(chromium.EXECUTABLE).exists(), reason="Debian's chromium is not installed")
def test_feedback_renders_math_offline(feedback):
    playwright = pytest.importorskip("playwright.sync_api")
    page_path, expected = feedback
    assert len(expected) >= 3, "the statement should have math"
    assert page_path.stat().st_size < 1_000_000, "feedback page of 1 MB or more"
    with playwright.sync_playwright() as p:
        browser = chromium.launch(p)
        context = browser.new_context()
        outside = chromium.watch(context, "file:")        # record everything else (it fails)
        tab = context.new_page()
        errors = []
        tab.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        tab.on("pageerror", lambda exc: errors.append(str(exc)))
        tab.on("requestfailed", lambda req: errors.append(f"failed: {req.url}"))
        tab.goto(page_path.as_uri(), wait_until="load")
        tab.wait_for_timeout(500)                          # let late scripts (MathJax) try
        math = tab.evaluate("""() => [...document.querySelectorAll('.text_cell_render math')]
            .map(m => { const r = m.getBoundingClientRect(); return [r.width, r.height]; })""")
        text = tab.evaluate("""() => [...document.querySelectorAll('.text_cell_render')]
            .map(e => e.innerText).join('\\n')""")
        # MathML laid out as math, not as inline text: scripts sit above/below their base.
        scripts = tab.evaluate("""() => [...document.querySelectorAll('.text_cell_render msup, .text_cell_render msub')]
            .map(s => { const [b, x] = [...s.children].map(c => c.getBoundingClientRect());
                        return [s.localName, b.top, b.bottom, x.top, x.bottom]; })""")
        browser.close()
    assert not outside, f"requests to the network: {outside}"
    assert not errors, errors
    assert len(math) == len(expected), f"{len(math)} <math> elements for {len(expected)} formulas"
    assert all(w > 0 and h > 0 for w, h in math), math
    assert "$" not in text, "raw TeX left in the statement"
    for tex in expected:
        assert tex.strip() not in text, tex
    assert any(name == "msup" for name, *_ in scripts), scripts
    for name, base_top, base_bottom, top, bottom in scripts:
        if name == "msup":
            assert bottom < base_bottom - 1, ("superscript not raised", scripts)
        else:
            assert top > base_top + 1, ("subscript not lowered", scripts)
