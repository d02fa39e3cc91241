"""Build and grading times, each against its baseline measured in the same run.

    python benchmarks/build_and_grade.py

1. Cold build: a copy of the repository without _build, built as ``./course build`` builds it
   (every page executed, one per core, by ``book.execute_pages``, then ``jupyter-book build``).
2. Cached rebuild: the same copy built again (every page re-rendered, executions cached).
3. Autograding one student (every assignment, the solutions submitted) with
   `nbgrader autograde "*" --student ID` and the course's hardened config, against executing the same
   notebooks alone with nbclient in a plain kernel.
Goals: cold build <= 21,000 reference steps (``book.speed``, timed in the same run; the budget
of "Any machine II", see benchmarks/budgets.py), cached rebuild <= 30 s, autograde <= 1.5x plain.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
STOCK = str(["nbgrader.preprocessors.Execute", "nbgrader.preprocessors.IgnorePattern",
             "nbconvert.preprocessors.ClearMetadataPreprocessor", "nbgrader.preprocessors.LimitOutput",
             "nbgrader.preprocessors.SaveAutoGrades", "nbgrader.preprocessors.AssignLatePenalties",
             "nbgrader.preprocessors.CheckCellMetadata"])
BIN = Path(sys.executable).parent
ENV = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}")
IGNORE = shutil.ignore_patterns(".venv", "_build", ".git", "__pycache__", "autograded",
                                "submitted", "feedback", "gradebook.db")


def timed(command, cwd, env=ENV):
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def build_times(work):
    """Seconds of a cold build of a copy of the repository, and of building it again."""
    copy = work / "book"
    shutil.copytree(ROOT, copy, ignore=IGNORE)
    env = dict(ENV, PYTHONPATH=str(copy),           # the copy's book/ in every kernel, its
               TORCH_EXTENSIONS_DIR=str(work / "torch_extensions"))   # loops compiled apart
    execute = [sys.executable, "-m", "book.execute_pages"]
    render = [str(BIN / "jupyter-book"), "build", ".", "--all", "-W", "-n", "--keep-going"]
    builds = [timed(execute, copy, env) + timed(render, copy, env) for _ in range(2)]
    return builds[0], builds[1]


def solutions_course(course, student, assignments=None):
    """A course folder with the assignments (default: all) released and their solutions
    submitted by ``student``; returns the assignments' names."""
    course.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "solutions", course / "solutions")
    assignments = assignments or sorted(p.name for p in (course / "solutions").iterdir())
    for name in assignments:
        subprocess.run([str(BIN / "nbgrader"), "generate_assignment", name, "--force"],
                       cwd=course, env=ENV, check=True, capture_output=True)
        target = course / "submitted" / student / name
        target.mkdir(parents=True)
        shutil.copy(course / "solutions" / name / f"{name}.ipynb", target)
    return assignments


def grading_times(work):
    course = work / "course"
    assignments = solutions_course(course, "student")
    plain = 0.0
    for name in assignments:
        target = course / "submitted" / "student" / name
        nb = nbformat.read(target / f"{name}.ipynb", as_version=4)
        start = time.perf_counter()
        NotebookClient(nb, timeout=60, kernel_name="python3",
                       resources={"metadata": {"path": str(target)}}).execute()
        plain += time.perf_counter() - start
    # one nbgrader process grades all of the student's assignments ("*"), as the README shows
    graded = timed([str(BIN / "nbgrader"), "autograde", "*", "--student", "student"], course)
    return plain, graded, len(assignments)


def main():
    sys.path.insert(0, str(ROOT))
    from book.speed import reference_step
    step = reference_step()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        cold, cached = build_times(work)
        plain, graded, n = grading_times(work)
        stock = timed([str(BIN / "nbgrader"), "autograde", "*", "--student", "student", "--force",
                       "--Autograde.autograde_preprocessors=" + STOCK], work / "course")
    rows = [("cold build (execute every page)", cold,
             f"{cold / step:,.0f} reference steps of {1000 * step:.1f} ms, goal <= 21,000",
             cold / step <= 21_000),
            ("cached rebuild", cached, "goal <= 30 s", cached <= 30),
            (f"plain execution of {n} solution notebooks (baseline)", plain, "", None),
            (f"nbgrader autograde, one student, {n} assignments", graded,
             f"{graded / plain:.2f}x plain, goal <= 1.5x", graded <= 1.5 * plain),
            ("  the same with nbgrader's stock (unhardened) executor", stock,
             f"{stock / plain:.2f}x plain: the cost of nbgrader itself", None)]
    print(f"{'measurement':<58} {'seconds':>8}  ratio / goal")
    for name, seconds, note, ok in rows:
        mark = "" if ok is None else ("  met" if ok else "  MISSED")
        print(f"{name:<58} {seconds:8.1f}  {note}{mark}")
    print(f"cached rebuild / cold build: {cached / cold:.2f}")


if __name__ == "__main__":
    main()
