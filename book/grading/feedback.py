"""Feedback without leaks: hidden tests and their tracebacks never reach the student.

nbgrader's feedback shows the autograded notebook, in which the hidden tests were put back
for grading. ``HideHiddenTests`` removes the hidden region from each test cell's source and
replaces each error's traceback (which quotes the failing lines) by one that names the
failing line only when it is in the visible part: "line 5 of the visible test: assert ...".
A failure in the hidden part says so without showing it; the grader's own messages (time
limit, integrity) are kept as they are.
"""
import re

from nbgrader.preprocessors import ClearHiddenTests

from .execute import WRAP_OFFSET

ANSI = re.compile(r"\x1b\[[0-9;]*m")
GRADER_ERRORS = {"TimeoutError", "GraderIntegrityError", "DeadKernelError", "KernelError"}


def failing_line(output, execution_count):
    """Line (1-based, in the test's own source) where the test's code failed, or None."""
    if execution_count is None:
        return None
    found = None
    for entry in output.get("traceback", []):
        for match in re.finditer(rf"Cell In\[{execution_count}\], line (\d+)", ANSI.sub("", entry)):
            found = int(match.group(1)) - WRAP_OFFSET
    return found


class HideHiddenTests(ClearHiddenTests):
    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type == "code" and self.begin_test_delimeter in cell.source:
            lines = cell.source.split("\n")
            hidden_from = next(i for i, line in enumerate(lines, start=1)
                               if self.begin_test_delimeter in line)
            for output in cell.get("outputs", []):
                if output.output_type != "error" or output.ename in GRADER_ERRORS:
                    continue
                line = failing_line(output, cell.get("execution_count"))
                head = f"{output.ename}: {output.evalue}"
                if line is not None and 1 <= line < hidden_from:
                    output.traceback = [head, f"raised at line {line} of the visible test: "
                                              f"{lines[line - 1].strip()}"]
                else:
                    output.traceback = [head, "(raised by a hidden test; its code is not shown)"]
        return super().preprocess_cell(cell, resources, cell_index)
