"""Build and grading times, each against its baseline measured in the same run.

    python benchmarks/build_and_grade.py

1. Cold build: a copy of the repository without _build, every page executed.
2. Cached rebuild: the same copy built again (every page re-rendered, executions cached).
3. Autograding one student (every assignment, the solutions submitted) with
   `nbgrader autograde "*" --student ID` and the course's hardened config, against executing the same
   notebooks alone with nbclient in a plain kernel.
Goals on a 2-core CPU: cold build <= 180 s, cached rebuild <= 30 s, autograde <= 1.5x plain.
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


def timed(command, cwd):
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=ENV, check=True, capture_output=True)
    return time.perf_counter() - start


def build_times(work):
    copy = work / "book"
    shutil.copytree(ROOT, copy, ignore=IGNORE)
    command = [str(BIN / "jupyter-book"), "build", ".", "--all", "-W", "-n", "--keep-going"]
    return timed(command, copy), timed(command, copy)


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
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        cold, cached = build_times(work)
        plain, graded, n = grading_times(work)
        stock = timed([str(BIN / "nbgrader"), "autograde", "*", "--student", "student", "--force",
                       "--Autograde.autograde_preprocessors=" + STOCK], work / "course")
    rows = [("cold build (execute every page)", cold, "goal <= 180 s", cold <= 180),
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
