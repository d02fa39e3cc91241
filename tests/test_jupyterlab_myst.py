"""A chapter in JupyterLab reads like the book: a real JupyterLab on loopback and Debian's
headless Chromium. A copy of a chapter is opened as the README says (right-click, Open With >
Jupytext Notebook) and run; jupyterlab-myst must draw its admonitions as boxes and its
labelled equations with KaTeX, and the course's extension (labextensions/ml-course-glue) must
put each {glue:text} value into its sentence: a marker before the cells run, then the number
myst-nb would print. nbgrader's panels must open in the same (pinned) JupyterLab."""
import functools
import hashlib
import json
import re
import shutil
from pathlib import Path

import jupytext
import pytest
from myst_nb.core.variables import format_plain_text

import chromium
from conftest import ROOT, ceiling
from test_jupyterlab import TOKEN, jupyter_lab, lab_tab, screenshot, wait_for_idle_kernel

EXTENSION = ROOT / "labextensions" / "ml-course-glue"
CHAPTER = ROOT / "chapters" / "classical" / "kmeans.md"   # admonitions, labelled math, glue; runs in seconds
ROLE = re.compile(r"\{glue(?::text)?\}`([^`\n]+)`")
LABEL = re.compile(r"```\{math\}\n:label: *(\S+)")
RAW_MYST = (":::{", "```{", "{math}", "{glue", "{cite}", "{eq}", "{download}", "\\begin{")
MARKER = "[run the code above]"


def browser_test(test):
    return functools.reduce(lambda t, mark: mark(t), chromium.MARKS, test)


def test_glue_extension_loads_its_current_code():
    """package.json names glue.js with its content hash, so that browsers never keep a stale copy."""
    load = json.loads((EXTENSION / "package.json").read_text())["jupyterlab"]["_build"]["load"]
    digest = hashlib.sha256((EXTENSION / "static" / "glue.js").read_bytes()).hexdigest()[:12]
    assert load == f"static/glue.js?v={digest}", \
        f'labextensions/ml-course-glue/package.json: set "load" to "static/glue.js?v={digest}"'


@pytest.fixture(scope="module")
def myst_lab(tmp_path_factory):
    """JupyterLab on a folder holding a copy of the chapter, with the course's extension."""
    work = tmp_path_factory.mktemp("myst-lab")
    shutil.copy(CHAPTER, work)
    if (ROOT / "jupytext.toml").exists():
        shutil.copy(ROOT / "jupytext.toml", work)
    with jupyter_lab(work, f"--LabApp.extra_labextensions_path={ROOT / 'labextensions'}") as base:
        yield base


def rendered_text(page):
    """The text of every rendered Markdown cell, typeset math left out (KaTeX keeps the TeX
    source in an annotation)."""
    return page.evaluate("""() => Array.from(document.querySelectorAll('.jp-MarkdownCell .jp-InputArea > .myst'))
        .map(node => {
            const copy = node.cloneNode(true);
            copy.querySelectorAll('.katex').forEach(k => k.remove());
            return copy.textContent;
        }).join('\\n')""")


def glued_spans(page):
    return page.evaluate("""() => Array.from(document.querySelectorAll('[data-course-glue]'))
        .map(s => ({body: s.getAttribute('data-course-glue'), text: s.textContent, cls: s.className,
                    sentence: s.parentElement.textContent}))""")


def glued_values(page):
    """key -> text/plain of every value glued by the notebook's cells, from the notebook model."""
    outputs = page.evaluate("""() => window.jupyterapp.shell.currentWidget.content.model.toJSON()
        .cells.flatMap(c => c.outputs || [])""")
    values = {}
    for output in outputs:
        scrapbook = output.get("metadata", {}).get("scrapbook")
        if scrapbook:
            text = output["data"][scrapbook.get("mime_prefix", "") + "text/plain"]
            values[scrapbook["name"]] = "".join(text) if isinstance(text, list) else text
    return values


def book_text(body, values):
    """What myst-nb writes for {glue:text}`body` (myst_nb.ext.glue.roles.PasteTextRole)."""
    key, _, spec = body.rpartition(":") if ":" in body else (body, "", "s")
    return format_plain_text(values[key], spec)


@browser_test
def test_chapter_renders_myst_and_glued_values_in_jupyterlab(myst_lab):
    pytest.importorskip("playwright.sync_api")
    notebook = jupytext.read(CHAPTER)
    markdown = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    roles = ROLE.findall(markdown)
    labels = LABEL.findall(markdown)
    admonitions = markdown.count("{admonition}")
    assert roles and labels and admonitions, "the chapter no longer has glue, labelled math and admonitions"

    with lab_tab(myst_lab, 60, page_errors=True) as (page, errors):
        page.goto(f"{myst_lab}/lab/workspaces/myst?reset&token={TOKEN}")
        page.wait_for_function("() => window.jupyterapp && document.querySelector('.jp-DirListing-item')")
        inactive = page.evaluate("""ids => ids.filter(id => !window.jupyterapp.isPluginActivated(id))""",
                                 ["jupyterlab-myst:content-factory", "jupyterlab-jupytext:plugin",
                                  "@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:assignment-list",
                                  "ml-course-glue:plugin"])
        assert not inactive, f"extensions that did not load in this JupyterLab: {inactive}"

        # as a reader does: right-click the chapter, Open With > Jupytext Notebook
        page.locator(".jp-DirListing-item", has_text=CHAPTER.name).click(button="right")
        page.locator(".lm-Menu-item", has_text="Open With").hover()
        page.locator(".lm-Menu-item", has_text="Jupytext Notebook").click()
        page.wait_for_selector(".jp-NotebookPanel .jp-MarkdownCell .myst")
        page.wait_for_function("n => document.querySelectorAll('.jp-course-glue-pending').length === n",
                               arg=len(roles))
        before = glued_spans(page)
        assert [s["body"] for s in before] == roles
        assert all(s["text"] == MARKER for s in before), before

        wait_for_idle_kernel(page)
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        page.wait_for_function("""() => { const p = Array.from(document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt'));
            return p.length && p.every(x => /\\[\\d+\\]/.test(x.textContent)); }""", timeout=ceiling(90) * 1000)
        page.wait_for_function("n => document.querySelectorAll('.jp-course-glue-value').length === n",
                               arg=len(roles))

        # admonitions: styled boxes, not ':::{admonition}'
        boxes = page.evaluate("""() => Array.from(document.querySelectorAll('.jp-MarkdownCell aside.myst-admonition'))
            .map(a => ({title: a.querySelector('.myst-admonition-header-text').textContent,
                        border: getComputedStyle(a).borderLeftWidth}))""")
        assert len(boxes) == admonitions and "You will learn" in [b["title"] for b in boxes], boxes
        assert all(b["border"] != "0px" for b in boxes), f"admonitions drawn without their box: {boxes}"
        # labelled equations typeset by KaTeX, none failed
        for label in labels:
            assert page.locator(f"[id='{label}'] .katex-display .katex-html").count() == 1, \
                f"equation {label} is not typeset"
        assert page.locator(".jp-MarkdownCell .katex-error").count() == 0
        text = rendered_text(page)
        assert "You will learn" in text
        assert not [raw for raw in RAW_MYST if raw in text], \
            f"MyST shown as raw text: {[raw for raw in RAW_MYST if raw in text]}"
        # every glued value in its sentence, as myst-nb formats it in the book
        values = glued_values(page)
        spans = glued_spans(page)
        assert [s["body"] for s in spans] == roles
        for span in spans:
            expected = book_text(span["body"], values)
            assert span["text"] == expected and "jp-course-glue-value" in span["cls"], (span, expected)
            assert expected in span["sentence"]
        # the extension changed what is shown, not the notebook
        sources = page.evaluate("""() => window.jupyterapp.shell.currentWidget.content.model.toJSON()
            .cells.filter(c => c.cell_type === 'markdown').map(c => [].concat(c.source).join(''))""")
        assert sources == [c.source for c in notebook.cells if c.cell_type == "markdown"]
        page.locator(".jp-course-glue-value").first.scroll_into_view_if_needed()
        screenshot(page, "jupyterlab-myst.png")

        # the extension's number formatting is Python's, exact ties included
        cases = [(t, s) for t in ("0.98712", "876.00712", "2.5", "0.125", "0.375", "-0.0001",
                                  "1.2345e-05", "18738.4", "42", "'abc'", "True", "nan")
                 for s in (".0f", ".1f", ".2f", ".3f", ".2e", ".0e", ".1%", ",.2f", "s")]
        ours = page.evaluate("""cases => { const g = window._JUPYTERLAB['ml-course-glue'];
            return cases.map(([t, s]) => { try { return g.pyFormat(g.literal(t), s, t); } catch (e) { return null; } }); }""",
                             cases)
        wrong = []
        for (text_plain, spec), got in zip(cases, ours):
            try:
                want = format_plain_text(text_plain, spec)
            except ValueError:
                continue                       # myst-nb shows nothing then (a warning in the build)
            if got != want:
                wrong.append((text_plain, spec, got, want))
        assert not wrong, wrong

        # nbgrader's panels work in this JupyterLab: the formgrader and the assignment list
        page.evaluate("() => window.jupyterapp.commands.execute('nbgrader:open-formgrader')")
        page.frame_locator("iframe[src*='formgrader']").get_by_role("heading", name="Manage Assignments").wait_for()
        page.evaluate("() => window.jupyterapp.commands.execute('nbgrader:open-assignment-list')")
        page.locator(".lm-TabBar-tabLabel", has_text="Assignments").first.wait_for()
        page.get_by_text("Released assignments").wait_for()
        page.wait_for_timeout(1000)
    assert not errors, f"console errors: {errors}"
