"""How long each cell of a graded notebook ran, and the time limit the grader gave it.

nbclient stamps every executed cell's metadata with when its code went in and when its reply
came back; ``GuardedExecute`` states each cell's limit for the course's reference machine
(the default, or a test cell's own ``# time limit: N s`` line) and scales it to the grading
machine (``limits.py``). ``benchmarks/solution_cells.py`` and ``tests/test_grading.py`` use these to
show that every solution fits its limits on much slower and much faster machines.
"""
from datetime import datetime
from pathlib import Path

from .execute import GuardedExecute


def cell_seconds(cell):
    """Seconds a graded cell ran (from its metadata's execution stamps), or None."""
    stamps = cell.get("metadata", {}).get("execution", {})
    if "iopub.execute_input" not in stamps or "shell.execute_reply" not in stamps:
        return None
    start, end = (datetime.fromisoformat(stamps[key].replace("Z", "+00:00"))
                  for key in ("iopub.execute_input", "shell.execute_reply"))
    return (end - start).total_seconds()


def cell_times(nb, timeout):
    """(seconds, stated limit in seconds, grade id) of each executed code cell of a graded
    notebook, for a grader whose stated default is ``timeout``."""
    grader = GuardedExecute(timeout=timeout)
    return [(cell_seconds(cell), grader.stated_limit(cell),
             cell.metadata.get("nbgrader", {}).get("grade_id", f"cell {index}"))
            for index, cell in enumerate(nb.cells)
            if cell.cell_type == "code" and cell_seconds(cell) is not None]


def course_limits(folder):
    """(stated seconds per cell, floor, ceiling) set by the course's ``nbgrader_config.py`` in
    ``folder``."""
    from traitlets.config.loader import PyFileConfigLoader
    config = PyFileConfigLoader("nbgrader_config.py", path=str(Path(folder))).load_config()
    grader = config.GuardedExecute
    return grader.timeout, grader.min_timeout, grader.max_timeout
