"""Claims bind sentences to numbers: a false one fails the page, and so the book build."""
import os
import re
import subprocess
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from book.claims import CHECKED, ClaimError, claim
from conftest import ROOT, ceiling, toc_pages

PAGE = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---
# A page

```{code-cell} ipython3
from book.claims import claim
losses = {"constant": 0.073, "cosine": 0.121}
claim("cosine_wins", losses["cosine"] < losses["constant"],
      "the cosine schedule ends lower than the constant rate", **losses)
```

The cosine schedule ends at {glue:text}`cosine_wins_cosine`.
"""


def test_a_true_claim_passes_and_a_false_one_names_sentence_and_numbers():
    assert claim("ok", 1 < 2, "one is less than two", one=1, two=2, glue=False) is None
    assert CHECKED[-1] == ("ok", "one is less than two", {"one": 1, "two": 2})
    with pytest.raises(ClaimError, match=r"'cosine_wins' is false: the page says \"the cosine "
                       r"schedule ends lower\", but its own run gives cosine = 0.121, "
                       r"constant = 0.073"):
        claim("cosine_wins", 0.121 < 0.073, "the cosine schedule ends lower", glue=False,
              cosine=0.121, constant=0.073)


def test_a_false_claim_fails_the_page():
    nb = jupytext.reads(PAGE, fmt="md:myst")
    with pytest.raises(CellExecutionError) as failure:
        NotebookClient(nb, timeout=ceiling(60), kernel_name="python3").execute()
    assert "ClaimError" in str(failure.value)
    assert "claim 'cosine_wins' is false: the page says \"the cosine schedule ends lower " \
           "than the constant rate\", but its own run gives constant = 0.073, cosine = 0.121" \
           in str(failure.value)


def test_a_readers_session_shows_a_false_claim_and_goes_on(monkeypatch):
    """In a kernel of a notebook session (JupyterLab names it in JPY_SESSION_NAME), a reader who
    changed a page's settings sees the sentence that no longer holds, and the cell runs on; with
    COURSE_CLAIMS=strict it fails as in the build."""
    monkeypatch.setenv("JPY_SESSION_NAME", "page.ipynb")
    nb = jupytext.reads(PAGE + "\n```{code-cell} ipython3\nprint('the figure')\n```\n", fmt="md:myst")
    NotebookClient(nb, timeout=ceiling(60), kernel_name="python3").execute()
    shown = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    text = " ".join(str(o.get("data", {}).get("text/markdown", "")) + o.get("text", "") for o in shown)
    assert "the page's text no longer holds" in text and "cosine = 0.121" in text
    assert "the figure" in text
    monkeypatch.setenv("COURSE_CLAIMS", "strict")
    with pytest.raises(CellExecutionError):
        NotebookClient(jupytext.reads(PAGE, fmt="md:myst"), timeout=ceiling(60),
                       kernel_name="python3").execute()


def test_a_false_claim_fails_the_book_build(tmp_path):
    (tmp_path / "_config.yml").write_text(
        "title: t\nexecute:\n  execute_notebooks: force\n"
        "sphinx:\n  config:\n    nb_execution_raise_on_error: true\n")
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: page\n")
    (tmp_path / "page.md").write_text(PAGE)
    build = subprocess.run([str(Path(sys.executable).parent / "jupyter-book"), "build",
                            str(tmp_path), "-W", "-n"], capture_output=True, text=True,
                           timeout=ceiling(300),     # Sphinx writes its error log to TMPDIR:
                           env=dict(os.environ, PYTHONPATH=str(ROOT), TMPDIR=str(tmp_path)))
    assert build.returncode != 0
    log = build.stdout + build.stderr
    assert "page" in log and "claim 'cosine_wins' is false" in log, log[-3000:]


@pytest.mark.parametrize("page", toc_pages())
def test_every_page_binds_its_claims_and_states_its_provenance(page):
    source = (ROOT / f"{page}.md").read_text()
    if page == "chapters/labs/index":
        pytest.skip("the labs' index runs nothing: it quotes each lab's glued verdict (test_labs)")
    assert re.search(r"\bclaim\(", source), f"{page}: no sentence is bound to its numbers"
    assert "provenance(" in source, f"{page}: seed, device and baseline are not stated"
