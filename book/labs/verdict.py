"""A lab's verdict for the research-labs index: did the paper's effect reproduce here?

Each lab page ends its experiment with ``verdict(reproduces, effect)``, both computed from its
own run: ``reproduces`` is "yes" (every part of the effect the paper reports appeared), "partly"
(some did, and the page says which did not) or "no"; ``effect`` is one sentence with the
measured numbers. They are glued as ``lab_reproduces`` and ``lab_effect``, and the index page
(chapters/labs/index.md) quotes them from each lab's glue, so no row is written by hand, and
the tests pin each lab's verdict from the same glue.
"""
VERDICTS = ("yes", "partly", "no")


def verdict(reproduces, effect):
    """Glue the lab's verdict ("yes", "partly" or "no") and its one-sentence measured effect."""
    if reproduces not in VERDICTS:
        raise ValueError(f"a lab reproduces {' / '.join(VERDICTS)}, not {reproduces!r}")
    from myst_nb import glue
    glue("lab_reproduces", reproduces, display=False)
    glue("lab_effect", effect, display=False)
