"""Shared fixtures: the built book (built once, by the README's test command or here), and the
reference step that turns the suite's time budgets into seconds on this machine."""
import functools
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from book.execute_pages import toc_pages as book_pages
from book.speed import FAST_STEP, describe, reference_step as measure

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "_build"
# nbgrader runs its helper (alembic) by name, in this process too (the Gradebook API)
os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"


def toc_pages():
    """Every page of _toc.yml, as paths relative to the root without suffix."""
    return [str(path.relative_to(ROOT).with_suffix("")) for path in book_pages(ROOT)]


@pytest.fixture(scope="session")
def built_book():
    """The executed book under _build; built here if the test command did not build it."""
    if not (BUILD / "html" / "index.html").exists():
        subprocess.run([str(Path(sys.executable).parent / "jupyter-book"), "build", str(ROOT),
                        "-W", "-n", "--keep-going"], check=True,
                       env=dict(os.environ, PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}"))
    return BUILD


@functools.lru_cache(maxsize=None)
def measured_reference_step():
    """Seconds per reference step on this machine, timed once per test session
    (``book.speed``): the unit of every time budget and ceiling in the suite, so that a
    budget holds on a machine five times slower as well as on a fast one."""
    return measure()


@pytest.fixture(scope="session")
def reference_step():
    return measured_reference_step()


def in_seconds(steps):
    """A budget of ``steps`` reference steps, in seconds on this machine."""
    return steps * measured_reference_step()


def ceiling(seconds):
    """A ceiling against a hang, chosen in seconds on a fast machine of CI's kind
    (``FAST_STEP`` per reference step), stretched on a slower machine, never shortened; whole
    seconds (nbclient's timeouts are integers)."""
    return math.ceil(seconds * max(1.0, measured_reference_step() / FAST_STEP))


def pytest_configure(config):
    """Each pytest-xdist worker runs on a core of its own (``throttle.lane_core``), and so does
    everything it starts: a test that times its own work (a widget's Stop, its redraws) shares
    its core with nothing but itself, and a simulated slow machine's competitors
    (``tests/test_slowed.py``) fill their worker's core only, while the other worker goes on."""
    if os.environ.get("PYTEST_XDIST_WORKER") and hasattr(os, "sched_setaffinity"):
        from throttle import lane_core
        os.sched_setaffinity(0, {lane_core()})


def pytest_report_header(config):
    return describe(measured_reference_step())


def pytest_collection_modifyitems(config, items):
    try:
        import torch
        has_cuda = torch.cuda.is_available()
    except ImportError:
        has_cuda = False
    skip = pytest.mark.skip(reason="needs a CUDA GPU")
    for item in items:
        if "gpu" in item.keywords and not has_cuda:
            item.add_marker(skip)
    # The longest work first, so that both workers of `pytest -n 2 --no-loadscope-reorder`
    # stay busy to the end: the simulated slow machines (a core each, for about a minute), the
    # live widgets in JupyterLab (about a minute on a core), the grading sessions (each a group
    # on one worker), every page executed again, then the rest.
    def order(item):
        group = item.get_closest_marker("xdist_group")
        name = group.args[0] if group else ""
        return (0 if name.startswith("slowed") else 1 if item.module.__name__ == "test_jupyterlab"
                else 2 if group else 3 if "test_page_is_deterministic" in item.name else 4, name)
    items.sort(key=order)
