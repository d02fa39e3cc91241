"""Grade export for an LMS (book/grading/export.py), through the real ``nbgrader export`` CLI.

A gradebook is built with nbgrader's API in a temporary course folder: four assignments (one
without a due date, two due the same day, one of two notebooks), four students (one with no
name, one with no submission), a late submission whose penalty is subtracted and one whose
penalty exceeds its score. The exported CSV files are compared cell for cell.
"""
import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from conftest import ceiling

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

# nbgrader's own Gradebook.add_submission trips SQLAlchemy's autoflush warnings; not ours.
pytestmark = [pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning"),
              pytest.mark.xdist_group("export")]      # one worker: the module's course once


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course = tmp_path_factory.mktemp("export")
    db_url = f"sqlite:///{course / 'gradebook.db'}"
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        "c.CourseDirectory.course_id = 'ml-course'\n"
        f"c.CourseDirectory.db_url = {db_url!r}\n")
    with Gradebook(db_url, "ml-course") as gb:
        cells = {"pca": {"pca": {"p1": 6, "p2": 4}},
                 "linear": {"linear": {"l1": 2.5}},
                 "kmeans": {"kmeans": {"k1": 5}},
                 "rnn": {"rnn": {"r1": 10}, "rnn_extra": {"r2": 5}}}
        gb.add_assignment("pca", duedate="2024-03-01 17:00:00")
        gb.add_assignment("linear", duedate="2024-03-01 17:00:00")
        gb.add_assignment("kmeans", duedate="2024-02-01 17:00:00")
        gb.add_assignment("rnn")
        for assignment, notebooks in cells.items():
            for notebook, grade_cells in notebooks.items():
                gb.add_notebook(notebook, assignment)
                for cell, points in grade_cells.items():
                    gb.add_grade_cell(cell, notebook, assignment, max_score=points,
                                      cell_type="code")

        gb.add_student("alice", first_name="Alice", last_name="Liddell",
                       email="alice@example.org")
        gb.add_student("bob")
        gb.add_student("carol", first_name="Carol", last_name="Ng")
        gb.add_student("dan", first_name="Dan", last_name="Abe")

        def submit(assignment, student, scores, penalty=0.0):
            gb.add_submission(assignment, student)
            for (notebook, cell), score in scores.items():
                gb.find_grade(cell, notebook, assignment, student).auto_score = score
            if penalty:
                gb.find_submission_notebook(assignment, assignment, student) \
                    .late_submission_penalty = penalty
            gb.db.commit()

        submit("pca", "alice", {("pca", "p1"): 6, ("pca", "p2"): 3.5})
        submit("kmeans", "alice", {("kmeans", "k1"): 5})
        submit("rnn", "alice", {("rnn", "r1"): 7})          # rnn_extra's cell left ungraded
        submit("pca", "bob", {("pca", "p1"): 4, ("pca", "p2"): 4}, penalty=2)
        submit("kmeans", "bob", {("kmeans", "k1"): 1}, penalty=3)
        submit("linear", "dan", {("linear", "l1"): 1.25})
    return course


def export(course, exporter, dest, *args):
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}",
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    result = subprocess.run([str(BIN / "nbgrader"), "export", exporter, "--to", dest, *args],
                            cwd=course, env=env, capture_output=True, text=True, timeout=ceiling(120))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    text = (course / dest).read_text(encoding="utf-8")
    return text, list(csv.reader(text.splitlines()))


def test_canvas(course):
    text, rows = export(course, "--exporter=book.grading.export.CanvasCsv", "canvas.csv")
    assert rows == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
         "rnn", "kmeans", "linear", "pca"],
        ["Points Possible", "", "", "", "", "15", "5", "2.5", "10"],
        ["bob", "", "", "bob", "", "", "0", "", "6"],           # 8 - 2 late; 1 - 3 late -> 0
        ["Abe, Dan", "", "", "dan", "", "", "", "1.25", ""],
        ["Liddell, Alice", "", "", "alice", "", "7", "5", "", "9.5"],
        ["Ng, Carol", "", "", "carol", "", "", "", "", ""],
    ]
    assert text.splitlines()[3] == '"Abe, Dan",,,dan,,,,1.25,'


def test_moodle(course):
    text, rows = export(course, "--exporter=book.grading.export.MoodleCsv", "moodle.csv")
    assert rows == [
        ["Username", "Email address", "First name", "Last name", "rnn", "kmeans", "linear", "pca"],
        ["bob", "", "", "", "", "0", "", "6"],
        ["dan", "", "Dan", "Abe", "", "", "1.25", ""],
        ["alice", "alice@example.org", "Alice", "Liddell", "7", "5", "", "9.5"],
        ["carol", "", "Carol", "Ng", "", "", "", ""],
    ]


def test_moodle_missing_as_zero_and_selection(course):
    """The long form of --exporter; missing work as 0; --student/--assignment select, and
    without an email among the selected students there is no email column."""
    _, rows = export(course, "--ExportApp.plugin_class=book.grading.export.MoodleCsv",
                     "moodle0.csv", "--LmsCsvExport.missing_as_zero=True",
                     "--student=carol", "--student=bob", "--assignment=pca", "--assignment=kmeans")
    assert rows == [
        ["Username", "First name", "Last name", "kmeans", "pca"],
        ["bob", "", "", "0", "6"],
        ["carol", "Carol", "Ng", "0", "0"],
    ]
