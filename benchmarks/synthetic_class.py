"""A synthetic class to grade: N students x the course's assignments, seeded.

Every submission is one of four kinds, in fixed shares of the whole class (rounded by largest
remainder, then dealt out in a seeded random order, so a class of 8 submissions still has
every kind):

- correct: the solution notebook;
- partly wrong: the solution notebook with, at the end of one answer cell, its first function
  rebound to a wrapper that returns twice the right result (and so raises where the result
  cannot be doubled: ``None`` from an in-place update, a torch model);
- blank: the exercise as released, stubs untouched;
- misbehaving: the solution notebook with one answer cell doing one of MISBEHAVIOURS (an
  infinite loop, a 10 MB print, a 3 GiB allocation, ``os._exit``, deleting the gradebook),
  taken in turn so that each appears before any repeats.

Misbehaving submissions keep their correct answers: the course's grader should still give
full marks to all but ``os._exit`` (whose kernel dies before the later answers run).
"""
import random
import re
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
SHARES = {"correct": 0.55, "partly wrong": 0.20, "blank": 0.15, "misbehaving": 0.10}

DELETE_GRADEBOOK = """
import os
try:                  # the kernel runs in autograded/<student>/<assignment>/
    os.remove("../../../gradebook.db")
    print("deleted the gradebook")
except Exception as error:
    print("could not delete the gradebook:", type(error).__name__, error)
"""
# name: (where in the answer cell, code)
MISBEHAVIOURS = {
    "infinite loop": ("after", "while True:\n    pass"),
    "huge print": ("after", "print('x' * 10_000_000)"),
    "memory hog": ("after", "hog = bytearray(3 * 1024**3)"),
    "kernel exit": ("before", "import os\nos._exit(3)"),
    "delete gradebook": ("after", DELETE_GRADEBOOK),
}


FUNCTION = re.compile(r"^def (\w+)", re.M)     # a function defined at the top of a cell


def answer_cells(nb):
    """The cells students write their answers in (nbgrader solution cells with code)."""
    return [c for c in nb.cells
            if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")]


def doubled(source):
    """An answer cell whose first function now returns twice the right result."""
    name = FUNCTION.search(source).group(1)
    return (f"{source}\n\n\n_right_{name} = {name}\n\n\n"
            f"def {name}(*args, **kwargs):      # wrong on purpose\n"
            f"    return _right_{name}(*args, **kwargs) * 2\n")


def misbehaving(source, name):
    """An answer cell that also does one of MISBEHAVIOURS, before or after its answer."""
    where, code = MISBEHAVIOURS[name]
    return f"{code}\n{source}" if where == "before" else f"{source}\n{code}\n"


def kinds(n, rng):
    """n kind labels in the shares of SHARES, shuffled; misbehaviours named and taken in turn."""
    exact = {kind: share * n for kind, share in SHARES.items()}
    counts = {kind: int(value) for kind, value in exact.items()}
    by_remainder = sorted(exact, key=lambda kind: exact[kind] - counts[kind], reverse=True)
    for kind in by_remainder[:n - sum(counts.values())]:
        counts[kind] += 1
    behaviours = list(MISBEHAVIOURS)
    rng.shuffle(behaviours)
    labels = [kind for kind in SHARES if kind != "misbehaving" for _ in range(counts[kind])]
    labels += [f"misbehaving: {behaviours[i % len(behaviours)]}"
               for i in range(counts["misbehaving"])]
    rng.shuffle(labels)
    return labels


def submission(assignment, label, rng):
    """The notebook a student of this kind hands in for this assignment."""
    source = "exercises" if label == "blank" else "solutions"
    nb = nbformat.read(ROOT / source / assignment / f"{assignment}.ipynb", as_version=4)
    if label == "partly wrong":        # a cell with a function to double (not a class)
        cell = rng.choice([c for c in answer_cells(nb) if FUNCTION.search(c.source)])
        cell.source = doubled(cell.source)
    elif label.startswith("misbehaving: "):
        cell = rng.choice(answer_cells(nb))
        cell.source = misbehaving(cell.source, label.removeprefix("misbehaving: "))
    return nb


def student_ids(n):
    """s1..s9 for 9 students, s01..s60 for 60: sorted as numbered."""
    return [f"s{i:0{len(str(n))}d}" for i in range(1, n + 1)]


def build_class(course, students, assignments, seed=0):
    """Write course/submitted/<student>/<assignment>/<assignment>.ipynb for the whole class.

    Returns {(student, assignment): kind label}.
    """
    rng = random.Random(seed)
    pairs = [(s, a) for s in student_ids(students) for a in assignments]
    plan = dict(zip(pairs, kinds(len(pairs), rng)))
    for (student, assignment), label in plan.items():
        folder = Path(course) / "submitted" / student / assignment
        folder.mkdir(parents=True)
        nbformat.write(submission(assignment, label, rng), folder / f"{assignment}.ipynb")
    return plan
