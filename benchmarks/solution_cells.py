"""How long each solution's cells take under the grader, in reference steps, against their limits.

Grades every notebook in ``solutions/`` (or those named) as a correct submission, with the real
``nbgrader autograde`` and the course's ``nbgrader_config.py`` (sandbox, guard, limits), in a
temporary course folder; reads each cell's execution times from the autograded notebook and
prints the heaviest cells in reference steps (``book.speed``, timed in the same run) beside the
limit the notebook states for the course's reference machine (28.6 ms per reference step; the
default per cell, or a test cell's own ``# time limit: N s``), which the grader scales to the
machine it runs on (``book/grading/limits.py``). ``margin``: the stated limit over the cell's
time on the reference machine, the room the scaled limit leaves on any machine; ``reach``: how
many times slower than the reference machine a grading machine may be before the ceiling
(``max_timeout``) stops the cell. The course asks for a margin of 2 up to 5 times slower
(``tests/test_grading.py`` checks it from the suite's own grading).

    python benchmarks/solution_cells.py [assignment ...] [--top 3]
"""
import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from book.grading.timing import cell_times, course_limits  # noqa: E402
from book.speed import SLOW_STEP, describe, reference_step  # noqa: E402
from build_and_grade import BIN, ENV, solutions_course  # noqa: E402


def graded_solutions(names, folder):
    """Autograde each solution as student "solution" in a fresh course folder, with one
    ``nbgrader autograde`` as an instructor runs it; (name, autograded notebook) pairs."""
    course = folder / "course"
    solutions_course(course, "solution", names)
    subprocess.run([str(BIN / "nbgrader"), "autograde", "*", "--student", "solution"], cwd=course,
                   env=ENV, check=True, capture_output=True)
    return [(name, nbformat.read(course / "autograded" / "solution" / name / f"{name}.ipynb", 4))
            for name in names]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignments", nargs="*")
    parser.add_argument("--top", type=int, default=2, help="cells shown per assignment")
    args = parser.parse_args()
    names = args.assignments or sorted(p.name for p in (ROOT / "solutions").iterdir() if p.is_dir())
    default, _, ceiling = course_limits(ROOT)
    step = reference_step()
    print(describe(step))
    print(f"grading {len(names)} solutions with nbgrader autograde ...", flush=True)
    worst = None
    with tempfile.TemporaryDirectory() as folder:
        graded = graded_solutions(names, Path(folder))
        print(f"{'assignment':20} {'cell':24} {'seconds':>8} {'steps':>7} {'stated s':>8} "
              f"{'margin':>7} {'reach':>7}")
        for name, nb in graded:
            for seconds, limit, cell in sorted(cell_times(nb, default), reverse=True)[:args.top]:
                on_reference = seconds / step * SLOW_STEP
                margin, reach = limit / on_reference, ceiling / on_reference
                worst = margin if worst is None else min(worst, margin)
                print(f"{name:20} {cell:24} {seconds:8.2f} {seconds / step:7.0f} {limit:8d} "
                      f"{margin:6.1f}x {reach:6.0f}x", flush=True)
    print(f"smallest margin: {worst:.1f}x (goal: 2x, on machines up to 5 times slower than the "
          f"reference machine)")
    print(f"reference step again at the end: {1000 * reference_step():.1f} ms")


if __name__ == "__main__":
    main()
