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


# What the suite's time grows with, and how many of each a book of 45 pages will have: every
# page (its browser and page checks), every exercise (its grading in the course of every
# assignment, its mistakes), every training widget (its runs in a kernel, at full speed and at
# a fifth of a core), every widget driven in JupyterLab. The research labs still to come
# (issues 22-23), 9 pages, plan no exercise and a widget only "where watching it train teaches
# more than a figure": counted as two more training widgets, one in JupyterLab (issue 21's eight
# labs and index, and issue 22's EGRU and GateL0RD labs, are built, with one widget, the
# memory-distance explorer, in JupyterLab too).
PLANNED_MORE = {"exercise": 0, "widget": 2, "JupyterLab widget": 1}


def unit_of(case):
    """What a test's time grows with: "page", "exercise", "widget", "JupyterLab widget", or
    None (the class of careless and dishonest students, the slowed grading, JupyterLab's and
    the browser's start, the package's tests: fixed)."""
    module, name = case.get("classname", "").split(".")[-1], case.get("name", "")
    if module in ("test_browser", "test_pages"):
        return "page"
    if module == "test_exercise_mistakes" or name.endswith("@grading"):
        return "exercise"
    if module in ("test_widgets", "test_rl_widgets") or name.endswith("@slowed-live"):
        return "widget"
    if module == "test_jupyterlab" and "[" in name:    # not the server, browser and kernel's start
        return "JupyterLab widget"
    return None


def counts_today(pages):
    """How many pages, exercises, training widgets (those with HEAVIEST settings) and widgets
    driven in JupyterLab there are."""
    sys.path.insert(0, str(ROOT / "tests"))
    import test_jupyterlab
    import book.widgets
    return {"page": len(pages),
            "exercise": sum(1 for d in (ROOT / "solutions").iterdir() if d.is_dir()),
            "widget": sum(1 for name in book.widgets.__all__
                          if hasattr(getattr(book.widgets, name), "HEAVIEST")),
            "JupyterLab widget": len(test_jupyterlab.WIDGETS)}


def timed(command, cwd, env):
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=env, check=True)
    return time.perf_counter() - started


def kind_of(classname):
    module = classname.split(".")[-1]
    return next((kind for kind, modules in KINDS.items() if module in modules), "the rest")


def test_seconds(report):
    """From a JUnit XML report, seconds of test time per kind of test, per unit it grows with
    (``unit_of``; None: fixed), and of each fixed test by name."""
    kinds, units, fixed = {}, {}, {}
    for case in ET.parse(report).iter("testcase"):
        spent, unit = float(case.get("time", 0)), unit_of(case)
        kind = kind_of(case.get("classname", ""))
        kinds[kind] = kinds.get(kind, 0.0) + spent
        units[unit] = units.get(unit, 0.0) + spent
        if unit is None:
            fixed[f"{case.get('classname', '').split('.')[-1]}::{case.get('name', '')}"] = spent
    return kinds, units, fixed


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
                suite[phase] = (time.perf_counter() - started, *test_seconds(report))
                kept = ROOT / "_build" / "budgets-tests.xml"    # for a closer look afterwards
                kept.parent.mkdir(exist_ok=True)
                shutil.copy(report, kept)
            # the unit timed again after the tests, and the mean of the two used: a virtual
            # machine's speed drifts (one run read 10.6 ms at the start, 7.0 the next)
            after = reference_step()
            print(f"reference step after the tests: {1000 * after:.1f} ms; the mean of the two "
                  f"counts", flush=True)
            step = (step + after) / 2
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
    for phase, (seconds, *_) in suite.items():
        rows.append((labels[phase], seconds, None))
    if suite:
        rows.append(("build and tests", build + sum(s for s, *_ in suite.values()), TOTAL_BUDGET))
    print(f"\n{'phase':<58} {'seconds':>8} {'steps':>8}  budget")
    for name, seconds, budget in rows:
        verdict = "" if budget is None else (f"  <= {budget:,}: " + ("met" if steps(seconds) <= budget
                                                                     else "MISSED"))
        print(f"{name:<58} {seconds:8.1f} {steps(seconds):8,.0f}{verdict}")
    for phase, (seconds, kinds, _, _) in suite.items():
        print(f"\nwhere the {phase} phase's test time went (test time summed over workers, "
              f"in steps):")
        for kind, spent in sorted(kinds.items(), key=lambda item: -item[1]):
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
        # the suite: its work per page, per exercise, per widget and per widget in JupyterLab,
        # times the numbers a 45-page book will have, and the rest as it is; on the same
        # cores, packed as today (the wall-clock time scales with the summed test time)
        seconds, _, units, fixed = suite["tests"]
        now = counts_today(pages)
        then = {unit: PROJECTED_PAGES if unit == "page" else n + PLANNED_MORE.get(unit, 0)
                for unit, n in now.items()}
        total_then = units.get(None, 0.0)
        print(f"\nthe suite at {PROJECTED_PAGES} pages (test time summed over workers, in steps):")
        print(f"    {'fixed':<20} {steps(total_then):9,.0f}, the heaviest:")
        for name, spent in sorted(fixed.items(), key=lambda item: -item[1])[:8]:
            print(f"        {steps(spent):7,.0f}  {name[:100]}")
        for unit in now:
            each = units.get(unit, 0.0) / now[unit]
            total_then += each * then[unit]
            print(f"    {'per ' + unit:<20} {steps(each):9,.0f}  x {now[unit]:2d} today, "
                  f"{then[unit]:2d} then: {steps(each * then[unit]):9,.0f}")
        tests_then = steps(seconds) * total_then / sum(units.values())
        print(f"    tests {steps(seconds):,.0f} steps today, {tests_then:,.0f} then; build and tests "
              f"{projected + tests_then:,.0f}, budget {TOTAL_BUDGET:,} "
              f"({'met' if projected + tests_then <= TOTAL_BUDGET else 'MISSED'})")
    print(f"heaviest page alone: {heaviest / step_alone:.0f} steps (in the build, two at a time: "
          f"{steps(max(pages.values())):.0f})")


if __name__ == "__main__":
    main()
