"""Run an exercise's own cells in this process, some solution cells replaced by an answer."""
import re
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]


def code_cells(assignment, answers):
    """The solution notebook's code cells in order, as (nbgrader metadata, grade id, source),
    the solution cells named in ``answers`` (grade id -> code) replaced by their answer."""
    nb = nbformat.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb", 4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            meta = cell.metadata.get("nbgrader", {})
            yield meta, meta.get("grade_id"), answers.get(meta.get("grade_id"), cell.source)


def run_cells(assignment, answers, test_cell, hidden, other_tests=True):
    """Run the solution notebook with some cells replaced by ``answers`` (grade id -> code),
    up to ``test_cell``; return the exception its test raised (None: it passed). Without
    ``hidden`` the test cell runs as students see it; without ``other_tests`` the graded cells
    before it are skipped (they only check; some train a model first)."""
    namespace = {}
    for meta, grade_id, source in code_cells(assignment, answers):
        if not hidden:
            source = re.sub(r"### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS", "", source, flags=re.S)
        if not other_tests and meta.get("grade") and grade_id != test_cell:
            continue
        if grade_id == test_cell:
            try:
                exec(compile(source, test_cell, "exec"), namespace)
            except Exception as error:       # noqa: BLE001 - what the grader would record
                return error
            return None
        exec(compile(source, grade_id or "cell", "exec"), namespace)
    raise AssertionError(f"no cell {test_cell}")


def exercise_answers(assignment):
    """The committed exercise's answer cells, as students receive them (grade id -> code)."""
    nb = nbformat.read(ROOT / "exercises" / assignment / f"{assignment}.ipynb", 4)
    return {cell.metadata["nbgrader"]["grade_id"]: cell.source for cell in nb.cells
            if cell.metadata.get("nbgrader", {}).get("solution")}


def points_earned(assignment, answers):
    """Run every cell of the solution notebook, hidden tests included, with some solution
    cells replaced by ``answers``, going on after errors as the grader does; return the
    points of the graded cells that ran without an error, by grade id."""
    namespace, earned = {}, {}
    for meta, grade_id, source in code_cells(assignment, answers):
        try:
            exec(compile(source, grade_id or "cell", "exec"), namespace)
        except Exception:                    # noqa: BLE001 - the grader records it and goes on
            continue
        if meta.get("grade"):
            earned[grade_id] = meta.get("points", 0)
    return earned
