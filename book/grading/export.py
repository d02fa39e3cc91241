"""Grades for an LMS: one row per student, one column per assignment.

``nbgrader export`` writes one row per student *and* assignment. These export plugins write
the spreadsheet that a learning management system imports instead:

- ``CanvasCsv``, for Canvas's *Grades > Import*: columns ``Student, ID, SIS User ID,
  SIS Login ID, Section``, then one per assignment, named as in nbgrader (Canvas fills the
  assignment of that name, or creates it); a second row, ``Points Possible``, gives each
  assignment's maximum score. ``SIS Login ID`` holds the nbgrader student id, which Canvas
  matches against the students' login ids; ``ID`` (Canvas's internal number), ``SIS User ID``
  and ``Section`` are left empty. ``Student`` is "Last, First", or the id when no name is known.
- ``MoodleCsv``, for Moodle's *Grades > Import > CSV file*: columns ``Username`` (the
  nbgrader student id), ``Email address`` (when any student has one), ``First name``,
  ``Last name``, then one per assignment. On Moodle's preview page, identify users by
  mapping from "Username" to "username", and map each assignment column to its grade item.

A score is nbgrader's, net of the late penalty (``score - late_submission_penalty``, never
below 0, as in nbgrader's own grades.csv). An assignment the student did not submit is an
empty cell, which both systems read as "no grade", or 0 with ``missing_as_zero``.
Assignments come in nbgrader's order (due date, then name; SQLite puts those without a due
date first); every student of the gradebook has a row. Run from the course folder (``--exporter`` is nbgrader's alias of
``--ExportApp.plugin_class``; ``--to`` defaults to canvas.csv and moodle.csv; ``--assignment``
and ``--student`` select as usual)::

    nbgrader export --exporter=book.grading.export.CanvasCsv --to canvas.csv
    nbgrader export --exporter=book.grading.export.MoodleCsv --to moodle.csv
    nbgrader export --exporter=book.grading.export.MoodleCsv --LmsCsvExport.missing_as_zero=True
"""
import csv

from nbgrader.api import Gradebook
from nbgrader.plugins import ExportPlugin
from traitlets import Bool


def grade_table(gradebook: Gradebook, assignments=(), students=()):
    """The assignments (nbgrader's order), the students (by last name, first name, id) and
    ``{(student id, assignment name): score net of late penalty}`` for each submission.

    ``assignments`` and ``students`` restrict the table to those names and ids when given.
    """
    assignments, students = {str(a) for a in assignments}, {str(s) for s in students}
    chosen = [a for a in gradebook.assignments if not assignments or a.name in assignments]
    people = sorted((s for s in gradebook.students if not students or s.id in students),
                    key=lambda s: (s.last_name or "", s.first_name or "", s.id))
    scores = {(submission.student_id, assignment.name):
              max(0.0, submission.score - submission.late_submission_penalty)
              for assignment in chosen for submission in assignment.submissions}
    return chosen, people, scores


def number(value: float) -> str:
    """A score as a plain decimal: 10, 7.5, 0.3333 (at most 4 decimals, no float noise)."""
    return f"{value:.4f}".rstrip("0").rstrip(".")


class LmsCsvExport(ExportPlugin):
    """One row per student, one column per assignment; subclasses name the student columns."""

    missing_as_zero = Bool(
        False, help="Write 0, not an empty cell, for an assignment a student did not submit."
    ).tag(config=True)

    default_to = "grades.csv"
    points_possible_label = None     # a second row of maximum scores, labelled so, if set

    def student_columns(self, students):
        """[(header, student -> cell)] for the columns in front of the assignments."""
        raise NotImplementedError

    def export(self, gradebook: Gradebook) -> None:
        dest = self.to or self.default_to
        assignments, students, scores = grade_table(gradebook, self.assignment, self.student)
        columns = self.student_columns(students)
        missing = "0" if self.missing_as_zero else ""

        rows = [[header for header, _ in columns] + [a.name for a in assignments]]
        if self.points_possible_label:
            rows.append([self.points_possible_label] + [""] * (len(columns) - 1)
                        + [number(a.max_score) for a in assignments])
        for student in students:
            cells = [scores.get((student.id, a.name)) for a in assignments]
            rows.append([cell(student) for _, cell in columns]
                        + [missing if score is None else number(score) for score in cells])

        self.log.info("Exporting grades of %d students in %d assignments to %s",
                      len(students), len(assignments), dest)
        with open(dest, "w", newline="", encoding="utf-8") as fh:
            csv.writer(fh, lineterminator="\n").writerows(rows)


def _canvas_name(student):
    if student.last_name and student.first_name:
        return f"{student.last_name}, {student.first_name}"
    return student.last_name or student.first_name or student.id


class CanvasCsv(LmsCsvExport):
    """Canvas's gradebook import CSV, students matched on SIS Login ID."""

    default_to = "canvas.csv"
    points_possible_label = "Points Possible"

    def student_columns(self, students):
        return [("Student", _canvas_name), ("ID", lambda s: ""), ("SIS User ID", lambda s: ""),
                ("SIS Login ID", lambda s: s.id), ("Section", lambda s: "")]


class MoodleCsv(LmsCsvExport):
    """Moodle's grade import CSV, users identified by Username."""

    default_to = "moodle.csv"

    def student_columns(self, students):
        email = [("Email address", lambda s: s.email or "")]
        return [("Username", lambda s: s.id), *(email if any(s.email for s in students) else []),
                ("First name", lambda s: s.first_name or ""),
                ("Last name", lambda s: s.last_name or "")]
