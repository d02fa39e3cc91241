"""The course's time budgets ("Any machine II"), measured in reference steps on this machine.

    python benchmarks/budgets.py            # cold build and the whole suite (about 10 minutes)
    python benchmarks/budgets.py --build    # the cold build only

A budget of N steps is N times the reference step (``book.speed``: one SGD step of a plain
autograd tanh RNN, B=32, T=100, H=64) timed in the same run, so it holds on a fast machine and
on one five times slower alike. On a copy of the repository without ``_build``, as CI's clean
clone, this times what ``./course test`` runs after installing: the pages executed one per core
(``book.execute_pages``), the book rendered from the execution cache (``jupyter-book build``),
the tests on every core (a pytest-xdist worker per core, the simulated slow machines of
``tests/test_slowed.py`` and JupyterLab driven in Chromium among them).
Then it executes every page again, one at a time (a fresh kernel each, nothing else running):
a page's budget is its cost alone, as the issue measured it ("pages, executed one after
another"); in the build two pages share the machine and each takes longer (both columns are
printed). It prints each against its budget, where the suite's time went, and a projection to
a book of 45 pages.

Budgets: every page <= 700 steps (alone); the cold build <= 21,000 (10 minutes at the slowest
machine's 28.6 ms); build and tests together (installation excluded) <= 63,000 (30 minutes).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from book.speed import SLOW_STEP, reference_step  # noqa: E402

PAGE_BUDGET, BUILD_BUDGET, TOTAL_BUDGET = 700, 21_000, 63_000
PROJECTED_PAGES = 45
BIN = Path(sys.executable).parent
IGNORE = shutil.ignore_patterns(".venv", "_build", ".git", "__pycache__", ".pytest_cache",
                                "*.egg-info", ".ipynb_checkpoints")
# where the suite's time goes: test files by kind
KINDS = {"grading": ("test_grading", "test_class_grading", "test_export", "test_feedback_offline",
                     "test_exercise_mistakes", "test_forbid"),
         "pages": ("test_pages",),
         "browser": ("test_browser", "test_jupyterlab", "test_jupyterlab_myst")}


def grows_with_the_book(case):
    """Whether a test's time grows with the book (a test per page; an exercise's grading in the
    course of every assignment, pytest-xdist group "grading", and its mistakes; a widget's runs)
    or stays as it is (the class of careless and dishonest students, the slowed grading, the
    package's tests)."""
    module, name = case.get("classname", "").split(".")[-1], case.get("name", "")
    return (module in ("test_browser", "test_pages", "test_exercise_mistakes", "test_widgets",
                       "test_jupyterlab", "test_rl_widgets")
            or name.endswith(("@grading", "@slowed-live")))


def timed(command, cwd, env):
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=env, check=True)
    return time.perf_counter() - started


def kind_of(classname):
    module = classname.split(".")[-1]
    return next((kind for kind, modules in KINDS.items() if module in modules), "the rest")


def test_seconds(report):
    """Seconds of test time per kind of test, from a JUnit XML report."""
    seconds = {}
    for case in ET.parse(report).iter("testcase"):
        for kind in (kind_of(case.get("classname", "")), "grows" if grows_with_the_book(case) else "fixed"):
            seconds[kind] = seconds.get(kind, 0.0) + float(case.get("time", 0))
    return seconds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", action="store_true", help="the cold build only, no tests")
    args = parser.parse_args(argv)
    step = reference_step()
    steps = lambda seconds: seconds / step   # noqa: E731
    print(f"reference step: {1000 * step:.1f} ms (the slowest machine of CI's kind: "
          f"{1000 * SLOW_STEP:.1f} ms)", flush=True)
    rows = []
    with tempfile.TemporaryDirectory(prefix="budgets-") as tmp:
        copy = Path(tmp) / "book"
        shutil.copytree(ROOT, copy, ignore=IGNORE)
        env = dict(os.environ, PYTHONPATH=str(copy), PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}",
                   OMP_WAIT_POLICY=os.environ.get("OMP_WAIT_POLICY", "PASSIVE"),
                   OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",      # as ./course test sets them
                   TORCH_EXTENSIONS_DIR=str(Path(tmp) / "torch_extensions"))   # as on a new machine
        # as ./course: the recurrent layers' loops compiled with the install, then the pages
        compiled = timed([sys.executable, "-c", "import book.rnn.fused as f; f.build()"], copy, env)
        execute = timed([sys.executable, "-m", "book.execute_pages"], copy, env)
        pages = json.loads((copy / "_build" / ".page-seconds.json").read_text())
        render = timed([str(BIN / "jupyter-book"), "build", ".", "--all", "-W", "-n", "--keep-going",
                        "-q"], copy, env)
        build = execute + render
        suite = {}
        if not args.build:
            jobs = os.environ.get("COURSE_JOBS") or str(os.cpu_count())
            for phase, options in (("tests", ["-n", jobs, "--dist", "loadgroup", "--no-loadscope-reorder"]),):
                report = Path(tmp) / f"{phase}.xml"
                started = time.perf_counter()
                subprocess.run([sys.executable, "-m", "pytest", "-q", *options,
                                f"--junitxml={report}"], cwd=copy, env=env)
                suite[phase] = (time.perf_counter() - started, test_seconds(report))
        # every page again, alone: one kernel at a time, into a cache of its own; in steps of
        # the reference step timed right before and right after (minutes after the first one,
        # on a machine whose speed drifts by a tenth or more within ten minutes)
        around = [reference_step()]
        alone = json.loads(subprocess.run(
            [sys.executable, "-c", "import json, sys; from book.execute_pages import execute_pages; "
             "print(json.dumps(execute_pages(jobs=1, cache_path=sys.argv[1], log=lambda *a: None)))",
             str(Path(tmp) / "alone-cache")], cwd=copy, env=env, check=True, capture_output=True,
            text=True).stdout.strip().splitlines()[-1])
        around.append(reference_step())
    step_alone = sum(around) / 2

    heaviest = max(alone.values())
    print(f"\n{'page':<42} {'alone: s':>8} {'steps':>7}   {'in the build: s':>15} {'steps':>6}"
          f"   budget {PAGE_BUDGET} (alone; reference step then "
          f"{1000 * around[0]:.1f} and {1000 * around[1]:.1f} ms)")
    for page, seconds in sorted(alone.items(), key=lambda item: -item[1]):
        mark = "" if seconds / step_alone <= PAGE_BUDGET else "  OVER"
        print(f"{page:<42} {seconds:8.1f} {seconds / step_alone:7.0f}   {pages[page]:15.1f} "
              f"{steps(pages[page]):6.0f}{mark}")
    rows.append(("the recurrent loops compiled (with the install: not budgeted)", compiled, None))
    rows.append(("pages executed one per core (pages' sum: "
                 f"{steps(sum(pages.values())):,.0f} steps)", execute, None))
    rows.append(("the book rendered from the execution cache", render, None))
    rows.append(("cold build", build, BUILD_BUDGET))
    labels = {"tests": "tests on every core, a worker per core (pytest -n)"}
    for phase, (seconds, _) in suite.items():
        rows.append((labels[phase], seconds, None))
    if suite:
        rows.append(("build and tests", build + sum(s for s, _ in suite.values()), TOTAL_BUDGET))
    print(f"\n{'phase':<58} {'seconds':>8} {'steps':>8}  budget")
    for name, seconds, budget in rows:
        verdict = "" if budget is None else (f"  <= {budget:,}: " + ("met" if steps(seconds) <= budget
                                                                     else "MISSED"))
        print(f"{name:<58} {seconds:8.1f} {steps(seconds):8,.0f}{verdict}")
    for phase, (seconds, kinds) in suite.items():
        print(f"\nwhere the {phase} phase's test time went (test time summed over workers, "
              f"in steps):")
        for kind, spent in sorted(kinds.items(), key=lambda item: -item[1]):
            if kind not in ("grows", "fixed"):
                print(f"    {kind:<12} {spent:8.1f} s {steps(spent):8,.0f} steps")
    # the projection: each page's fixed cost (the introduction, which trains nothing) for
    # every page of a 45-page book, plus each page's work beyond it at today's pages' mean
    # for today's pages and at the full page budget for every page still to come, executed
    # one per core; the rendering grows with the number of pages
    jobs = int(os.environ.get("COURSE_JOBS") or os.cpu_count())
    fixed = steps(pages.get("chapters/intro.md", min(pages.values())))
    work_now = sum(max(0.0, steps(s) - fixed) for s in pages.values())
    more = PROJECTED_PAGES - len(pages)
    projected = ((PROJECTED_PAGES * fixed + work_now + more * (PAGE_BUDGET - fixed)) / jobs
                 + steps(render) * PROJECTED_PAGES / len(pages))
    print(f"\nprojection to {PROJECTED_PAGES} pages: fixed cost {fixed:.0f} steps a page, today's "
          f"{len(pages)} pages' work {work_now:,.0f} steps, {more} more pages at the full "
          f"{PAGE_BUDGET}-step budget, {jobs} at a time, rendering x{PROJECTED_PAGES / len(pages):.1f}: "
          f"cold build {projected:,.0f} steps, budget {BUILD_BUDGET:,} "
          f"({'met' if projected <= BUILD_BUDGET else 'MISSED'}); "
          f"{projected * SLOW_STEP / 60:.1f} min on the slowest machine")
    if suite:
        # the suite: its work that grows with the book (a page's browser and page tests, an
        # exercise's grading and mistakes, a widget's runs: one of each per page, as today)
        # scaled to 45 pages, the rest as it is, on the same cores as today
        seconds, kinds = suite["tests"]
        grows, fixed_work = kinds.get("grows", 0.0), kinds.get("fixed", 0.0)
        scale = (fixed_work + grows * PROJECTED_PAGES / len(pages)) / (fixed_work + grows)
        tests_then = steps(seconds) * scale
        print(f"the suite at {PROJECTED_PAGES} pages: its work that grows with the book "
              f"{steps(grows):,.0f} steps today ({steps(grows) / len(pages):,.0f} a page, summed over "
              f"workers), the rest {steps(fixed_work):,.0f}: tests {tests_then:,.0f} steps, build and "
              f"tests {projected + tests_then:,.0f}, budget {TOTAL_BUDGET:,} "
              f"({'met' if projected + tests_then <= TOTAL_BUDGET else 'MISSED'})")
    print(f"heaviest page alone: {heaviest / step_alone:.0f} steps (in the build, two at a time: "
          f"{steps(max(pages.values())):.0f})")


if __name__ == "__main__":
    main()
