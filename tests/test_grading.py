"""nbgrader for real: the CLI, a gradebook, the course's nbgrader_config.py, real kernels.

One temporary course folder per test session: the assignments are generated from
``solutions/``, students submit (the solutions; in a class, an untouched exercise, broken and
dishonest notebooks), ``nbgrader autograde`` and ``generate_feedback`` run as an
instructor would run them, and the tests read the gradebook and the feedback.
"""
import hashlib
import json
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

import submissions
from submissions import nbgrader, released, submit
from book.grading.limits import Limits
from book.grading.timing import cell_times, course_limits
from book.speed import SLOW_STEP
from conftest import ceiling

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENTS = sorted(p.name for p in (ROOT / "solutions").iterdir() if p.is_dir())
# one worker for the tests of the session's course (built once); the guard-only course is another
pytestmark = pytest.mark.xdist_group("grading")


def scores(course, assignment):
    with Gradebook(f"sqlite:///{course}/gradebook.db") as gb:
        return {s.student.id: s.score for s in gb.assignment_submissions(assignment)}


def read_nb(path):
    return nbformat.read(path, as_version=4)


@pytest.fixture(scope="session")
def course(tmp_path_factory):
    return released(tmp_path_factory.mktemp("course"))        # every assignment, one process


@pytest.fixture(scope="session")
def graded(course):
    """Every assignment's solution, graded with the course's parallel grader (the README's
    command), and its feedback. Untouched exercises: the real grader grades pca's in the class
    below and the digits CNN's at a fifth of a core (tests/test_slowed.py); that every other
    exercise as released earns nothing, its cells run in process show
    (test_exercise_mistakes.py: a sandboxed kernel's start, 1-3 s, is this suite's largest cost
    per exercise)."""
    for assignment in ASSIGNMENTS:
        submit(course, "solution", assignment,
               read_nb(course / "solutions" / assignment / f"{assignment}.ipynb"))
    log = grade_class(course)
    nbgrader(course, "generate_feedback", "*")
    return {"log": log}


# The class: careless, broken and dishonest students beside honest ones, on one assignment
# (pca), in a course folder of its own, graded on another pytest-xdist worker than the
# assignments above (group "grading-class").
CLASS = pytest.mark.xdist_group("grading-class")


@pytest.fixture(scope="session")
def classroom(tmp_path_factory):
    return released(tmp_path_factory.mktemp("classroom"), ["pca"])


@pytest.fixture(scope="session")
def class_graded(classroom):
    """Everyone submits; the honest student is graded first, alone, and again with the rest."""
    solution = read_nb(classroom / "solutions" / "pca" / "pca.ipynb")
    exercise = read_nb(classroom / "exercises" / "pca" / "pca.ipynb")
    submit(classroom, "solution", "pca", solution)
    submit(classroom, "untouched", "pca", exercise)
    submit(classroom, "honest", "pca", solution)
    nbgrader(classroom, "autograde", "pca", "--student", "honest")
    honest_alone = scores(classroom, "pca")["honest"]
    honest_file = (classroom / "autograded" / "honest" / "pca" / "pca.ipynb").read_bytes()
    for student, variant in {**submissions.BAD, **submissions.DISHONEST}.items():
        submit(classroom, student, "pca", submissions.build(solution, exercise, variant))
    # the whole class at once, with the course's parallel grader (the README's command); the
    # runaway loops stopped after a stated 10 s on the reference machine (2 s on a machine
    # five times faster), not the course's 60 (floor 10), and a kernel that ignores the
    # interrupt given 3 s to answer, not 10, so that they cost this suite little
    log = grade_class(classroom, "--", "--GuardedExecute.timeout=10", "--GuardedExecute.min_timeout=2",
                      "--GuardedExecute.stuck_kernel_grace=3")
    nbgrader(classroom, "generate_feedback", "pca")
    return {"honest_alone": honest_alone, "honest_file": honest_file, "log": log}


def grade_class(course, *args):
    result = subprocess.run([sys.executable, "-m", "book.grading.parallel", *args], cwd=course,
                            capture_output=True, text=True, timeout=ceiling(1800))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


def test_generate_assignment_reproduces_committed_exercises(course):
    for assignment in ASSIGNMENTS:
        fresh = (course / "exercises" / assignment / f"{assignment}.ipynb").read_bytes()
        committed = (ROOT / "exercises" / assignment / f"{assignment}.ipynb").read_bytes()
        assert fresh == committed, (f"exercises/{assignment} drifted from solutions/: run "
                                    f"`nbgrader generate_assignment {assignment} --force`")


def test_student_versions_contain_no_solution_and_no_hidden_test(course):
    for assignment in ASSIGNMENTS:
        text = (ROOT / "exercises" / assignment / f"{assignment}.ipynb").read_text()
        assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text
        assert "raise NotImplementedError()" in text


def test_solutions_get_full_marks(course, graded):
    with Gradebook(f"sqlite:///{course}/gradebook.db") as gb:
        for assignment in ASSIGNMENTS:
            max_score = gb.find_assignment(assignment).max_score
            got = scores(course, assignment)
            assert max_score >= 10
            assert got == {"solution": max_score}, (assignment, got)


def test_every_solution_fits_its_limits_on_machines_five_times_slower_or_faster(course, graded, reference_step):
    """The notebooks state their limits for the course's reference machine (SLOW_STEP per
    reference step) and the grader scales them to its own (book/grading/limits.py). Each
    solution cell's time in this run's grading, in reference steps, must fit the limit it would
    get on a machine five times faster, as fast, and five times slower than the reference
    machine with twice the time to spare: the floor and the ceiling included."""
    default, floor, most = course_limits(ROOT)
    tight = []
    for assignment in ASSIGNMENTS:
        nb = read_nb(course / "autograded" / "solution" / assignment / f"{assignment}.ipynb")
        times = cell_times(nb, default)
        code = [cell for cell in nb.cells if cell.cell_type == "code"]
        assert len(times) == len(code), (assignment, "cells without execution times")
        for seconds, stated, cell in times:
            for factor in (0.2, 1, 5):
                machine = Limits(SLOW_STEP * factor, floor, most)
                there = seconds / reference_step * machine.step
                if 2 * there > machine.seconds(stated):
                    tight.append((assignment, cell, factor, round(there, 1), machine.seconds(stated)))
    assert not tight, f"(assignment, cell, machine's slowness, seconds there, limit there): {tight}"


def test_limits_follow_the_machine_between_the_floor_and_the_ceiling():
    default, floor, most = course_limits(ROOT)
    assert (default, floor, most) == (60, 10, 600)
    reference = Limits(SLOW_STEP, floor, most)
    assert reference.seconds(60) == 60 and reference.seconds(180) == 180
    fast, slow = Limits(SLOW_STEP / 5, floor, most), Limits(SLOW_STEP * 5, floor, most)
    assert fast.seconds(60) == pytest.approx(12) and fast.seconds(30) == 10        # the floor
    assert slow.seconds(60) == pytest.approx(300) and slow.seconds(180) == 600     # the ceiling
    assert "600 s (the course's ceiling): 180 s on the course's reference machine" in slow.explain(180)
    assert "12 s: 60 s on the course's reference machine" in fast.explain(60)


def hidden_lines(course, assignment):
    """The hidden tests' longer lines (short ones may occur in any text)."""
    source = read_nb(course / "solutions" / assignment / f"{assignment}.ipynb")
    lines = [line.strip() for c in source.cells if "BEGIN HIDDEN TESTS" in c.source
             for line in c.source.split("### BEGIN HIDDEN TESTS")[1]
             .split("### END HIDDEN TESTS")[0].splitlines() if len(line.strip()) > 25]
    assert lines
    return lines


def assert_no_hidden_test_in_feedback(course, student, assignment):
    html = (course / "feedback" / student / assignment / f"{assignment}.html").read_text()
    assert "BEGIN HIDDEN TESTS" not in html
    for line in hidden_lines(course, assignment):
        assert line not in html.replace("&quot;", '"').replace("&#39;", "'"), (student, line)


def test_feedback_never_shows_hidden_tests(course, graded):
    for assignment in ASSIGNMENTS:
        assert_no_hidden_test_in_feedback(course, "solution", assignment)


@CLASS
def test_feedback_never_shows_hidden_tests_even_where_they_fail(classroom, class_graded):
    for student in ("untouched", *submissions.BAD, *submissions.DISHONEST):
        assert_no_hidden_test_in_feedback(classroom, student, "pca")


@CLASS
def test_the_grader_gives_an_untouched_exercise_nothing(classroom, class_graded):
    assert scores(classroom, "pca")["untouched"] == 0


@CLASS
@pytest.mark.parametrize("student", sorted(submissions.BAD))
def test_bad_submission_is_graded_with_a_clear_message(classroom, class_graded, student):
    expected_score, message = submissions.BAD[student][2], submissions.BAD[student][3]
    assert scores(classroom, "pca")[student] == expected_score
    html = (classroom / "feedback" / student / "pca" / "pca.html").read_text()
    assert message in html
    size = (classroom / "autograded" / student / "pca" / "pca.ipynb").stat().st_size
    assert size < 1_000_000, "outputs are capped"


@CLASS
@pytest.mark.parametrize("student", sorted(submissions.DISHONEST))
def test_dishonest_submission_earns_nothing(classroom, class_graded, student):
    assert scores(classroom, "pca")[student] == 0
    nb = read_nb(classroom / "autograded" / student / "pca" / "pca.ipynb")
    for grade_id in submissions.TESTS:
        outputs = submissions.cell(nb, grade_id).outputs
        assert any(o.output_type == "error" for o in outputs), (grade_id, outputs)


@CLASS
def test_others_are_unaffected_and_the_gradebook_is_intact(classroom, class_graded):
    assert class_graded["honest_alone"] == submissions.FULL_MARKS
    assert scores(classroom, "pca")["honest"] == submissions.FULL_MARKS
    now = (classroom / "autograded" / "honest" / "pca" / "pca.ipynb").read_bytes()
    assert hashlib.sha256(now).digest() == hashlib.sha256(class_graded["honest_file"]).digest()
    with sqlite3.connect(classroom / "gradebook.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        manual = db.execute("SELECT COUNT(*) FROM grade WHERE manual_score IS NOT NULL").fetchone()[0]
        assert manual == 0
    expected = {"honest", "solution", "untouched", *submissions.BAD, *submissions.DISHONEST}
    assert set(scores(classroom, "pca")) == expected
    submitted = json.loads((classroom / "submitted" / "honest" / "pca" / "pca.ipynb").read_text())
    assert submitted["cells"], "a dishonest notebook overwrote another student's submission"


def outputs_text(nb):
    return "\n".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                     for o in c.get("outputs", []) if o.get("output_type") == "stream")


def assert_nothing_done(course, student):
    """Every destructive attempt of this student was stopped, with a message saying why."""
    text = outputs_text(read_nb(course / "autograded" / student / "pca" / "pca.ipynb"))
    attempts = submissions.DISHONEST[student]  # noqa: F841 - the notebook's code, for the message
    assert "blocked:" in text, text[:2000]
    assert "DONE:" not in text, [line for line in text.splitlines() if "DONE:" in line]


@CLASS
@pytest.mark.parametrize("student", sorted(s for s in submissions.DISHONEST if s.startswith("destroy")))
def test_destructive_attempts_are_stopped(classroom, class_graded, student):
    assert scores(classroom, "pca")[student] == 0
    assert_nothing_done(classroom, student)


@CLASS
def test_no_route_reaches_a_tests_values(classroom, class_graded):
    """A student's function, called by a test, sees none of the test's variables."""
    text = outputs_text(read_nb(classroom / "autograded" / "pry-references" / "pca" / "pca.ipynb"))
    pried = [line for line in text.splitlines() if line.startswith("pried:")]
    assert pried, text[:2000]          # the visible test's call (its wrong answer ends the test)
    for line in pried:
        seen = eval(line.split(":", 1)[1])            # noqa: S307 - our own test's output
        assert seen.pop("globals") == [], line
        assert all(str(v).startswith("blocked") for v in seen.values()), line


@CLASS
def test_hard_coded_visible_answers_earn_nothing(classroom, class_graded):
    assert scores(classroom, "pca")["hardcoded-visible"] == 0
    html = (classroom / "feedback" / "hardcoded-visible" / "pca" / "pca.html").read_text()
    # each test's visible part passed, its hidden part failed
    assert html.count("raised by a hidden test") == len(submissions.TESTS)
    assert "of the visible test" not in html


@CLASS
def test_the_class_run_reports_progress_and_isolation(class_graded):
    log = class_graded["log"]
    assert "isolation: operating-system sandbox (bubblewrap)" in log, log[:500]
    total = int(log.split("grading ", 1)[1].split()[0])
    assert f"[{total}/{total}]" in log and f"graded {total}/{total} submissions" in log


@CLASS
def test_feedback_names_a_failing_visible_line(classroom, class_graded):
    html = (classroom / "feedback" / "partial" / "pca" / "pca.html").read_text()
    assert "raised at line 6 of the visible test" in html
    html = (classroom / "feedback" / "edited-test" / "pca" / "pca.html").read_text()
    assert "raised at line 3 of the visible test: C = covariance(X)" in html
    html = (classroom / "feedback" / "loop" / "pca" / "pca.html").read_text()
    # the class's limits (class_graded), scaled to this machine: 10 s on the reference machine
    assert re.search(r"stopped after \d+ s, the time limit for this cell: \d+ s( \(the course's "
                     r"floor\))?: 10 s on the course's reference machine", html), html[-3000:]
    assert "KeyboardInterrupt" not in html


def test_a_test_cell_states_its_own_time_limit():
    from book.grading.execute import GuardedExecute
    grader = GuardedExecute(timeout=60, min_timeout=10, max_timeout=600)
    test = nbformat.v4.new_code_cell("# time limit: 150 s\nassert train()",
                                     metadata={"nbgrader": {"grade": True, "solution": False}})
    answer = nbformat.v4.new_code_cell("# time limit: 9000 s\ntrain()",
                                       metadata={"nbgrader": {"grade": False, "solution": True}})
    greedy = nbformat.v4.new_code_cell("# time limit: 9000 s\nassert 1",
                                       metadata={"nbgrader": {"grade": True, "solution": False}})
    assert [grader.stated_limit(c) for c in (test, answer, greedy)] == [150, 60, 9000]
    test.source = grader._wrap(test.source)[0]        # as the kernel receives it
    assert grader.stated_limit(test) == 150
    assert grader._cell_timeout(greedy) == 600 and grader._cell_timeout(test) >= 10   # the bounds


@pytest.fixture(scope="session")
def guard_only(tmp_path_factory):
    """The same destructive class graded where bubblewrap is not used: the guard alone."""
    course = released(tmp_path_factory.mktemp("guard-only"), ["pca"])
    solution = read_nb(course / "solutions" / "pca" / "pca.ipynb")
    exercise = read_nb(course / "exercises" / "pca" / "pca.ipynb")
    submit(course, "honest", "pca", solution)
    nbgrader(course, "autograde", "pca", "--student", "honest")
    before = {p: p.read_bytes() for p in course.rglob("*") if p.is_file() and "honest" in p.parts}
    students = [s for s in submissions.DISHONEST if s.startswith(("destroy", "pry"))]
    for student in students:
        submit(course, student, "pca", submissions.build(solution, exercise,
                                                         submissions.DISHONEST[student]))
    log = grade_class(course, "pca", *[f"--student={s}" for s in students],
                      "--SandboxedKernelManager.os_sandbox=False")
    return course, before, students, log


@pytest.mark.xdist_group("grading-guard")
def test_guard_alone_stops_the_same_attempts(guard_only):
    course, before, students, log = guard_only
    assert "isolation: in-kernel guard only" in log
    for student in students:
        assert scores(course, "pca")[student] == 0
        if student.startswith("destroy"):
            assert_nothing_done(course, student)
    assert scores(course, "pca")["honest"] == submissions.FULL_MARKS
    assert {p: p.read_bytes() for p in before} == before
    with sqlite3.connect(course / "gradebook.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert (course / "solutions" / "pca" / "pca.ipynb").exists()


@CLASS
def test_everyone_elses_files_are_byte_for_byte_unchanged(classroom, class_graded):
    honest = classroom / "submitted" / "honest" / "pca" / "pca.ipynb"
    solution = read_nb(classroom / "solutions" / "pca" / "pca.ipynb")
    assert read_nb(honest) == solution
    assert (classroom / "solutions" / "pca" / "pca.ipynb").read_bytes() == \
        (ROOT / "solutions" / "pca" / "pca.ipynb").read_bytes()
    assert (classroom / "gradebook.db").stat().st_size > 0
    assert not (classroom / "old.db").exists() and not (classroom / "submitted" / "mallory").exists()
