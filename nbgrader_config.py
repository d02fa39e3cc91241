"""nbgrader configuration of the course: run nbgrader commands from this folder.

Everything that makes grading safe lives here, so instructors use the nbgrader commands
they know (generate_assignment, collect, autograde, generate_feedback). See README.md.
"""
import os

from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, GetGrades,
                                    IgnorePattern, LimitOutput, SaveAutoGrades)

from book.grading.execute import GuardedExecute
from book.grading.feedback import HideHiddenTests

c = get_config()  # noqa: F821 - provided by nbgrader

c.CourseDirectory.course_id = "ml-course"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"

# The student version: solution regions become a stub that fails every test.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}

# Autograding: a sandboxed kernel, guarded test verdicts, bounded time, memory and output.
c.Autograde.autograde_preprocessors = [GuardedExecute, IgnorePattern, ClearMetadataPreprocessor,
                                       LimitOutput, SaveAutoGrades, AssignLatePenalties,
                                       CheckCellMetadata]
# Time limits follow the grading machine (book/grading/limits.py). The notebooks state them
# for the course's reference machine (28.6 ms per reference step, book/speed.py): 60 s a cell,
# or a test cell's own first line ("# time limit: 180 s"). Each grading process times the
# reference step once and scales every stated limit by (its step / 28.6 ms), never below
# min_timeout nor above max_timeout seconds; a cell past its limit is interrupted, then its
# kernel restarted, and its message says which limit applied and why.
c.GuardedExecute.timeout = 60
c.GuardedExecute.min_timeout = 10
c.GuardedExecute.max_timeout = 600
c.GuardedExecute.interrupt_on_timeout = True
c.GuardedExecute.max_output_chars = 100_000
c.SandboxedKernelManager.memory_limit = 2 * 1024**3
c.SandboxedKernelManager.file_size_limit = 64 * 1024**2
# The grading kernel runs in bubblewrap where it can (book/grading/sandbox.py): these folders
# are replaced by empty read-only ones, except its own submission folder. Where bubblewrap
# cannot run, the in-kernel guard refuses to open, list or change their files.
# c.SandboxedKernelManager.os_sandbox = False  # to grade with the in-kernel guard alone
c.SandboxedKernelManager.protected = [os.getcwd(), os.path.dirname(os.path.abspath(__file__))]
c.LimitOutput.max_lines = 1000
c.LimitOutput.max_traceback = 100

# Deleted or retyped test cells are put back (with a note) and graded, not skipped.
c.OverwriteCells.add_missing_cells = True

# Feedback: never show hidden tests, in the source or in a traceback.
c.GenerateFeedback.preprocessors = [GetGrades, HideHiddenTests, CSSHTMLHeaderPreprocessor]
# Feedback pages work offline (students open them from disk): math as MathML, no MathJax or
# other script from a CDN. See book/grading/offline.py.
c.GenerateFeedback.exporter_class = "book.grading.offline.OfflineHTMLExporter"
