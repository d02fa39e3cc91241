"""Feedback without leaks: hidden tests and their tracebacks never reach the student.

nbgrader's feedback shows the autograded notebook, in which the hidden tests were put back
for grading. ``HideHiddenTests`` removes the hidden region from each test cell's source and,
for cells that had one, replaces error tracebacks (which quote the failing lines) by the
error's name and message.
"""
from nbgrader.preprocessors import ClearHiddenTests


class HideHiddenTests(ClearHiddenTests):
    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type == "code" and self.begin_test_delimeter in cell.source:
            for output in cell.get("outputs", []):
                if output.output_type == "error":
                    output.traceback = [f"{output.ename}: {output.evalue}",
                                        "(raised by a hidden test; its code is not shown)"]
        return super().preprocess_cell(cell, resources, cell_index)
