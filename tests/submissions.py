"""Submissions that misbehave, built from the PCA assignment, for the grading tests.

BAD submissions are careless or broken: each must be graded, with a clear message in its
feedback, without disturbing anyone else. DISHONEST ones try to earn points they did not
earn: their answers are wrong (the untouched stubs, or deliberately wrong values), so every
point they get is a point stolen. Each entry maps a student id to a function that edits a
copy of the notebook, and says what the grade must be.
"""
import copy
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

from conftest import ceiling

ROOT = Path(__file__).resolve().parents[1]

ASSIGNMENT = "pca"
ANSWERS = ["pca-covariance", "pca-components", "pca-project"]
TESTS = ["pca-covariance-test", "pca-components-test", "pca-project-test"]
FULL_MARKS = 10.0

WRONG_ANSWERS = '''
import numpy as np
def covariance(X):
    return np.zeros((np.shape(X)[1],) * 2)
def principal_components(X, n_components):
    d = np.shape(X)[1]
    return np.eye(d)[:n_components], np.ones(n_components)
def project(X, components):
    return np.zeros((len(X), len(components)))
def explained_variance_ratio(X, n_components):
    return np.ones(n_components)
'''


def cell(nb, grade_id):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def answer_with(code, where=0):
    """Replace an answer cell of the *student* notebook with the given code."""
    def edit(nb):
        cell(nb, ANSWERS[where]).source = code
        return nb
    return edit


def prepend(code, where=0):
    """Put code before the (correct) solution of one answer cell."""
    def edit(nb):
        target = cell(nb, ANSWERS[where])
        target.source = code + "\n" + target.source
        return nb
    return edit


def append(code, where=0):
    def edit(nb):
        target = cell(nb, ANSWERS[where])
        target.source = target.source + "\n" + code
        return nb
    return edit


def edit_test(nb):
    cell(nb, TESTS[0]).source = "pass  # the tests were in my way"
    return nb


def delete_test(nb):
    nb.cells.remove(cell(nb, TESTS[1]))
    return nb


def retype_test(nb):
    target = cell(nb, TESTS[2])
    target.cell_type = "markdown"
    target.pop("outputs", None)
    target.pop("execution_count", None)
    return nb


def partial(nb):
    """A wrong first answer, then two right ones that do not depend on it (nor on np.cov,
    which the statement forbids)."""
    cell(nb, ANSWERS[0]).source = (
        "import numpy as np\n"
        "def covariance(X):\n"
        "    return 2 * own_covariance(X)\n\n"
        "def own_covariance(X):\n"
        "    centred = np.asarray(X, dtype=float) - np.mean(X, axis=0)\n"
        "    return centred.T @ centred / (len(centred) - 1)")
    cell(nb, ANSWERS[1]).source = (
        "def principal_components(X, n_components):\n"
        "    values, vectors = np.linalg.eigh(own_covariance(X))\n"
        "    order = np.argsort(values)[::-1][:n_components]\n"
        "    return vectors[:, order].T, values[order]")
    cell(nb, ANSWERS[2]).source = (
        "def project(X, components):\n"
        "    X = np.asarray(X, dtype=float)\n"
        "    return (X - X.mean(axis=0)) @ np.asarray(components).T\n\n"
        "def explained_variance_ratio(X, n_components):\n"
        "    return principal_components(X, n_components)[1] / np.trace(own_covariance(X))")
    return nb


# student id: (which notebook to start from, edit, expected score, text the feedback must show)
BAD = {
    "partial": ("exercise", partial, 7.0, "AssertionError"),
    "loop": ("solution", append("while True:\n    pass", where=1), FULL_MARKS, "stopped after"),
    "stubborn-loop": ("solution", append(
        "import time\nwhile True:\n    try:\n        time.sleep(0.1)\n"
        "    except BaseException:\n        pass", where=1), 3.0, "ignored the interrupt"),
    "exception": ("solution", prepend("raise ValueError('I give up')", where=2), 7.0, "ValueError"),
    "syntax-error": ("solution", prepend("def broken(:", where=0), 0.0, "SyntaxError"),
    "edited-test": ("exercise", edit_test, 0.0, "NotImplementedError"),
    "deleted-test": ("solution", delete_test, FULL_MARKS, "was missing from the submission"),
    "retyped-test": ("solution", retype_test, FULL_MARKS, "assert"),
    "huge-output": ("solution", append("print('x' * 10_000_000)", where=0), FULL_MARKS,
                    "output truncated by the grader"),
    "memory-hog": ("solution", append("hog = bytearray(6 * 1024**3)", where=0), FULL_MARKS,
                   "MemoryError"),
    "kernel-exit": ("solution", prepend("import os\nos._exit(3)", where=1), 3.0, "DeadKernelError"),
}

DISHONEST = {
    # changing how later cells run
    "input-transformer": answer_with(WRONG_ANSWERS + '''
get_ipython().input_transformers_cleanup.append(
    lambda lines: [l for l in lines if "assert" not in l])
'''),
    "ast-transformer": answer_with(WRONG_ANSWERS + '''
import ast
class NoAsserts(ast.NodeTransformer):
    def visit_Assert(self, node):
        return ast.Pass()
get_ipython().ast_transformers.append(NoAsserts())
'''),
    "custom-exception-handler": answer_with(WRONG_ANSWERS + '''
get_ipython().set_custom_exc((Exception,), lambda shell, etype, value, tb, tb_offset=None: None)
'''),
    "showtraceback": answer_with(WRONG_ANSWERS + '''
get_ipython().showtraceback = lambda *args, **kwargs: None
get_ipython()._showtraceback = lambda *args, **kwargs: None
'''),
    "pre-run-hook": answer_with(WRONG_ANSWERS + '''
import numpy
def patch(*args):
    numpy.allclose = lambda *a, **k: True
get_ipython().events.register("pre_run_cell", patch)
'''),
    "monkeypatch-numpy": answer_with(WRONG_ANSWERS + '''
np.allclose = lambda *a, **k: True
np.shape = lambda x: (2, 2) if np.ndim(x) == 2 else (2,)
import numpy.linalg
numpy.linalg.svd = lambda *a, **k: (None, np.ones(10), np.eye(10))
'''),
    "patch-during-call": answer_with(WRONG_ANSWERS + '''
_wrong = covariance
def covariance(X):
    import numpy
    numpy.allclose = lambda *a, **k: True
    numpy.shape = lambda x: (np.asarray(x).shape[1],) * 2
    return _wrong(X)
'''),
    "code-swap": answer_with(WRONG_ANSWERS + '''
try:
    np.allclose.__code__ = (lambda *a, **k: True).__code__
except PermissionError as error:
    print("refused:", error)
'''),
    "fake-numpy-module": answer_with(WRONG_ANSWERS + '''
import sys, types
fake = types.ModuleType("numpy")
fake.__dict__.update(vars(sys.modules["numpy"]))
fake.allclose = lambda *a, **k: True
sys.modules["numpy"] = fake
'''),
    "builtins-import": answer_with(WRONG_ANSWERS + '''
import builtins, types
_real_import = builtins.__import__
fake = types.SimpleNamespace(**{k: getattr(np, k) for k in dir(np) if not k.startswith("__")})
fake.allclose = lambda *a, **k: True
fake.shape = lambda x: (2, 2)
def sneaky(name, *args, **kwargs):
    return fake if name == "numpy" else _real_import(name, *args, **kwargs)
builtins.__import__ = sneaky
'''),
    "settrace": answer_with(WRONG_ANSWERS + '''
import sys
def skip_asserts(frame, event, arg):
    return None
try:
    sys.settrace(skip_asserts)
except PermissionError as error:
    print("refused:", error)
'''),
    "thread-repatcher": answer_with(WRONG_ANSWERS + '''
import threading, time, numpy
def keep_patching():
    while True:
        numpy.allclose = lambda *a, **k: True
        time.sleep(0.0005)
threading.Thread(target=keep_patching, daemon=True).start()
'''),
    "forged-verdicts": answer_with(WRONG_ANSWERS + '''
import os, hashlib
def forge(lines):
    text = "".join(lines)
    if "course-grader:" in text:
        nonce = text.split("course-grader: ")[1].split()[0]
        digest = hashlib.sha256(text.strip().encode()).hexdigest()
        for fd in range(3, 64):
            try:
                os.write(fd, f"{'0' * 64} passed {nonce} {digest} \\n".encode())
            except OSError:
                pass
    return [l for l in lines if "assert" not in l]
get_ipython().input_transformers_cleanup.append(forge)
'''),
    "read-solutions": answer_with('''
import glob, json, os
found = None
for pattern in ["../../../solutions/pca/pca.ipynb", "/**/solutions/pca/pca.ipynb"]:
    for path in glob.glob(pattern, recursive=True):
        try:
            found = json.load(open(path))
            break
        except (PermissionError, OSError) as error:
            print("refused:", error)
    if found:
        break
if found:
    for c in found["cells"]:
        if c["cell_type"] == "code":
            exec("".join(c["source"]))
'''),
    "read-book-package-path": answer_with('''
import book, os
root = os.path.dirname(os.path.dirname(book.__file__))
try:
    source = open(os.path.join(root, "solutions", "pca", "pca.ipynb")).read()
    print(len(source))
except PermissionError as error:
    print("refused:", error)
'''),
    "tamper-gradebook": answer_with(WRONG_ANSWERS + '''
import sqlite3
for attempt in (lambda: open("../../../gradebook.db", "r+b").write(b"garbage" * 1000),
                lambda: sqlite3.connect("../../../gradebook.db").execute(
                    "UPDATE grade SET manual_score = 100"),
                lambda: open("../../honest/pca/pca.ipynb", "w").write("{}"),
                lambda: open("../../../submitted/honest/pca/pca.ipynb", "w").write("{}")):
    try:
        attempt()
    except PermissionError as error:
        print("refused:", error)
'''),
    "subprocess-and-signals": answer_with(WRONG_ANSWERS + '''
import os, signal, subprocess
for attempt in (lambda: subprocess.run(["sh", "-c", "rm -f ../../../gradebook.db"]),
                lambda: os.system("rm -f ../../../gradebook.db"),
                lambda: os.kill(os.getppid(), signal.SIGKILL)):
    try:
        attempt()
    except PermissionError as error:
        print("refused:", error)
'''),
    "ctypes-libc": answer_with(WRONG_ANSWERS + '''
import ctypes
try:
    libc = ctypes.CDLL(None)
    libc.system(b"rm -f ../../../gradebook.db")
except (PermissionError, AttributeError, OSError) as error:
    print("refused:", error)
'''),
}


# Destructive submissions: every way to change or read what is not the student's own. Each
# attempt prints "blocked: <why>" or "DONE: <what>"; the grade must be 0 (wrong answers) and
# every other file and grade unchanged. Paths are relative to the kernel's folder,
# autograded/<student>/pca/ in the course folder.
ATTEMPTS = """
import os, shutil, pathlib, socket, subprocess
def attempt(what, action):
    try:
        action()
        print("DONE:", what)
    except BaseException as error:
        print("blocked:", what, "-", type(error).__name__, str(error)[:150])
"""
COURSE = "../../.."
DESTRUCTIVE = {
    "remove-gradebook": f"""
attempt("os.remove gradebook", lambda: os.remove("{COURSE}/gradebook.db"))
attempt("os.unlink gradebook", lambda: os.unlink("{COURSE}/gradebook.db"))
attempt("Path.unlink other student", lambda: pathlib.Path("../../honest/pca/pca.ipynb").unlink())
attempt("os.remove submitted", lambda: os.remove("{COURSE}/submitted/honest/pca/pca.ipynb"))
""",
    "rename-gradebook": f"""
attempt("os.rename gradebook", lambda: os.rename("{COURSE}/gradebook.db", "mine.db"))
attempt("os.replace gradebook", lambda: os.replace("{COURSE}/gradebook.db", "{COURSE}/old.db"))
attempt("shutil.move submitted", lambda: shutil.move("{COURSE}/submitted/honest", "stolen"))
attempt("os.rename autograded", lambda: os.rename("../../honest", "../../gone"))
""",
    "truncate-and-chmod": f"""
attempt("os.truncate gradebook", lambda: os.truncate("{COURSE}/gradebook.db", 0))
attempt("open w gradebook", lambda: open("{COURSE}/gradebook.db", "w").close())
attempt("os.chmod gradebook", lambda: os.chmod("{COURSE}/gradebook.db", 0))
attempt("os.utime other", lambda: os.utime("../../honest/pca/pca.ipynb", (0, 0)))
attempt("os.mkdir in course", lambda: os.mkdir("{COURSE}/submitted/mallory"))
""",
    "remove-trees": f"""
attempt("shutil.rmtree solutions", lambda: shutil.rmtree("{COURSE}/solutions"))
attempt("shutil.rmtree autograded", lambda: shutil.rmtree("../../honest"))
attempt("os.rmdir feedback", lambda: os.rmdir("{COURSE}/feedback"))
attempt("listdir course", lambda: print(os.listdir("{COURSE}")))
attempt("listdir submitted", lambda: print(os.listdir("{COURSE}/submitted")))
""",
    "links-to-solutions": f"""
attempt("symlink then read", lambda: (os.symlink("{COURSE}/solutions/pca/pca.ipynb", "s.ipynb"),
                                      print(open("s.ipynb").read()[:80])))
attempt("hard link then read", lambda: (os.link("{COURSE}/solutions/pca/pca.ipynb", "h.ipynb"),
                                        print(open("h.ipynb").read()[:80])))
attempt("copy solution", lambda: shutil.copy("{COURSE}/solutions/pca/pca.ipynb", "c.ipynb"))
attempt("read release", lambda: print(open("{COURSE}/exercises/pca/pca.ipynb").read()[:80]))
""",
    "processes-and-sockets": f"""
attempt("subprocess rm", lambda: subprocess.run(["rm", "-f", "{COURSE}/gradebook.db"]))
attempt("os.system", lambda: os.system("rm -f {COURSE}/gradebook.db"))
attempt("os.kill grader", lambda: os.kill(os.getppid(), 9))
attempt("tcp socket", lambda: socket.create_connection(("127.0.0.1", 22), timeout=1))
attempt("unix socket", lambda: socket.socket(socket.AF_UNIX).connect("/run/postgresql/.s.PGSQL.5432"))
attempt("fork", lambda: os.fork() or None)
""",
}
DESTRUCTIVE = {f"destroy-{name}": ATTEMPTS + code for name, code in DESTRUCTIVE.items()}

# Prying submissions: functions that try to read, while a test runs, what the test computed.
# Each route prints what it saw; a route that works would show the test's variables.
PRYING = WRONG_ANSWERS + """
import sys, inspect, gc, threading, signal
def pry():
    seen = {}
    test_names = {"rng", "n", "d", "k", "C", "X", "reference", "components", "variances", "vt"}
    seen["globals"] = sorted(test_names & set(globals()))
    routes = {
        "sys._getframe": lambda: sys._getframe(1).f_locals,
        "inspect.stack": lambda: inspect.stack()[1].frame.f_locals,
        "inspect.currentframe": lambda: inspect.currentframe().f_back.f_locals,
        "traceback": lambda: _tb_locals(),
        "generator frame": lambda: (lambda g: g.gi_frame.f_back)((i for i in [1])),
        "gc.get_referrers": lambda: gc.get_referrers(sys._getframe),
        "thread": lambda: threading.Thread(target=print).start(),
        "signal handler": lambda: signal.signal(signal.SIGALRM, lambda s, f: print(f.f_locals)),
        "fresh _signal": lambda: __import__("_imp").create_builtin(
            __import__("importlib").machinery.ModuleSpec("_signal", None)),
        "ctypes frame": lambda: __import__("ctypes").pythonapi.PyEval_GetFrame,
    }
    for name, route in routes.items():
        try:
            found = route()
            seen[name] = sorted(test_names & set(found)) if isinstance(found, dict) else "DONE"
        except BaseException as error:
            seen[name] = "blocked " + type(error).__name__
    print("pried:", seen)
def _tb_locals():
    try:
        raise RuntimeError
    except RuntimeError as error:
        return error.__traceback__.tb_frame.f_back.f_locals
_covariance = covariance
def covariance(X):
    pry()
    return _covariance(X)
"""
# Hard-coding the visible tests' answers passes the visible tests and nothing else.
HARDCODED_VISIBLE = """
import numpy as np
def covariance(X):
    return np.array([[4.0, 3.0], [3.0, 3.0]])
def principal_components(X, n_components):
    return np.eye(3)[:n_components], np.arange(n_components, 0, -1.0)
def project(X, components):
    return np.array([[2.0], [-2.0], [0.0], [0.0]])
def explained_variance_ratio(X, n_components):
    return np.full(n_components, 0.8)
"""

DISHONEST.update({"pry-references": answer_with(PRYING),
                  "hardcoded-visible": lambda nb: [answer_with(HARDCODED_VISIBLE, i)(nb)
                                                   for i in range(len(ANSWERS))][-1],
                  **{name: answer_with(WRONG_ANSWERS + code) for name, code in DESTRUCTIVE.items()}})


def build(nb_solution, nb_exercise, variant):
    """A fresh notebook for one entry of BAD (a tuple) or DISHONEST (an edit)."""
    if isinstance(variant, tuple):
        start, edit = variant[0], variant[1]
        nb = copy.deepcopy(nb_solution if start == "solution" else nb_exercise)
    else:
        nb, edit = copy.deepcopy(nb_exercise), variant
    return edit(nb)


# The assignment whose hidden tests come closest to their limits (the smallest reach of
# benchmarks/solution_cells.py: the digits CNN's training test, about 25 times slower than the
# reference machine before the ceiling; tile coding's and REINFORCE's tests reach 92 and 44):
# graded on a simulated slow machine (tests/test_slowed.py), solution and untouched exercise;
# at full speed its solution is graded as every solution is (tests/test_grading.py: its cells'
# times check the limits' margins). The limits are the same code for every assignment.
HEAVIEST = ("cnn_digits",)


def submit(course, student, assignment, nb):
    """Put ``nb`` where nbgrader collects a submission: submitted/<student>/<assignment>/."""
    target = course / "submitted" / student / assignment
    target.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, target / f"{assignment}.ipynb")


def nbgrader(course, *args, timeout=1800):
    """The nbgrader CLI of this environment, run in ``course`` as an instructor runs it
    (``timeout``: a ceiling against a hang, stretched on a slow machine)."""
    bin_dir = Path(sys.executable).parent          # nbgrader runs its helper (alembic) by name
    result = subprocess.run([str(bin_dir / "nbgrader"), *args], cwd=course, capture_output=True,
                            text=True, timeout=ceiling(timeout),
                            env=dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}"))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


def released(course, assignments=None, timeout=1800):
    """Make the folder ``course`` a course: the course's ``nbgrader_config.py`` and the sources
    of ``assignments`` (default: every one) in ``solutions/``, released to ``exercises/`` by
    nbgrader's ``generate_assignment``, all in one process. Returns the folder."""
    shutil.copy(ROOT / "nbgrader_config.py", course)
    if assignments is None:
        shutil.copytree(ROOT / "solutions", course / "solutions")
    for name in assignments or ():
        shutil.copytree(ROOT / "solutions" / name, course / "solutions" / name)
    nbgrader(course, "generate_assignment", "*", "--force", timeout=timeout)
    return course
