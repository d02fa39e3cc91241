"""Sentences bound to the numbers that make them true.

A page that says "the cosine schedule ends lower than the constant rate" states it once, in
code, next to the run that shows it::

    claim("cosine_wins", final["cosine"] < final["constant"],
          "the cosine schedule ends with a lower training loss than the constant rate",
          cosine=final["cosine"], constant=final["constant"])

and writes the sentence in the prose with the glued numbers:
``... ends at {glue:text}`cosine_wins_cosine:.3f`, the constant rate at ...``.

``claim`` glues every piece of evidence as ``<name>_<key>`` (and the verdict as ``<name>``),
so text and check share one source. If the condition is false, it raises ``ClaimError``
with the sentence and the numbers: the page's execution fails, and with it the book build
(``nb_execution_raise_on_error``), naming the page, the claim and why. The test suite reads
the glued verdicts of every built page.

A reader who runs a page in JupyterLab and changes its settings (as its "Try it" asks) may
make a sentence false on purpose. There the kernel belongs to a notebook session (Jupyter's
server names it in ``JPY_SESSION_NAME``; the build's and the tests' kernels have none), and a
false claim is shown under the cell, with the sentence and the reader's numbers, instead of
stopping the cell before its figure. ``COURSE_CLAIMS=strict`` makes such a kernel raise too.
"""
import numbers
import os
import sys

import numpy as np


class ClaimError(AssertionError):
    """A sentence of the page is contradicted by the page's own numbers."""


CHECKED = []          # (name, sentence, evidence) of every claim that held in this kernel


def _plain(value):
    """Evidence as a plain Python number (or the value itself) for glue and messages."""
    if hasattr(value, "item") and np.size(value) == 1:
        value = value.item()
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    return value


def _show(value):
    return f"{value:.4g}" if isinstance(value, float) else repr(value)


def exploring():
    """Whether this kernel is a reader's notebook session (see the module's docstring)."""
    return "JPY_SESSION_NAME" in os.environ and os.environ.get("COURSE_CLAIMS") != "strict"


def claim(name, holds, sentence, glue=True, **evidence):
    """Check that ``sentence`` holds (``holds`` is the condition computed from ``evidence``).

    Raises ClaimError if it does not (in a reader's session it shows it instead); glues the
    evidence, and the verdict, for the page's text. Returns nothing: a cell that ends with a
    claim prints nothing.
    """
    evidence = {key: _plain(value) for key, value in evidence.items()}
    numbers_seen = ", ".join(f"{key} = {_show(value)}" for key, value in evidence.items())
    holds = bool(holds)
    if not holds:
        message = (f"claim {name!r} is false: the page says \"{sentence}\", "
                   f"but its own run gives {numbers_seen or 'no numbers'}")
        if not exploring():
            raise ClaimError(message)
        from IPython.display import Markdown, display
        display(Markdown(f"**With these settings the page's text no longer holds.** The page says "
                         f"\"{sentence}\"; this run gives {numbers_seen or 'no numbers'}."))
    if glue:
        from myst_nb import glue as myst_glue
        for key, value in evidence.items():
            myst_glue(f"{name}_{key}", value, display=False)
        myst_glue(name, holds, display=False)
    if holds:
        CHECKED.append((name, sentence, evidence))


def provenance(seed, baseline, device=None):
    """The line every page shows above its numbers: seed, device and the trivial baseline
    that its results must beat (e.g. "predicting the mean: MSE 1.00", "chance: 10 %").

    Returns a Markdown object (the cell displays it) and glues the line as ``provenance``.
    """
    from IPython.display import Markdown
    from myst_nb import glue as myst_glue

    if (device is None and "torch" not in sys.modules) or device == "cpu":
        where = "cpu"          # numpy computed it all, or the page says so: torch not needed
    else:
        from .device import describe
        where = describe(device)
    line = (f"Numbers on this page: random seed {seed}, computed on {where}; "
            f"the trivial baseline to beat is {baseline}.")
    myst_glue("provenance", line, display=False)
    return Markdown(f"*{line}*")
