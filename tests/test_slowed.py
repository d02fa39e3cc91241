"""Grades that do not depend on the machine's speed, shown on a simulated slow machine.

``tests/throttle.py`` gives each busy process under test about a fifth of one core (busy
competitors share the core; the share is measured). The assignment whose hidden tests come
closest to their limits (``submissions.HEAVIEST``: the digits CNN) is graded by two graders
beside three competitors: a fifth each while both are busy, a fourth for the last one still
grading, and a sixth at first, while a third grader grades a runaway loop in another course
beside them; the widgets run beside four competitors: a fifth throughout. The assignment is
graded there with the course's own limits, which the grader scales to the machine it measures
(book/grading/limits.py): its solution gets full marks and its untouched exercise zero, and a
runaway loop is still stopped, with a message that says which limit applied and why; and every
widget's heaviest run stops within 300 ms of Stop.

The tests run in two lanes, each its own simulated slow machine on a core of its own
(``throttle.lane_core``, the core of the pytest-xdist worker, tests/conftest.py): the grading
in one (group "slowed-grading"), the widgets in the other ("slowed-live"). ``./course test``
runs them first, beside the other tests on the other core; ``./course test-slowed`` runs only
them.
"""
import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from conftest import ceiling, measured_reference_step
from submissions import HEAVIEST, released, submit
from throttle import slowed

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slowed
GRADING, LIVE = pytest.mark.xdist_group("slowed-grading"), pytest.mark.xdist_group("slowed-live")


@LIVE
def test_the_fixture_gives_a_fifth_of_a_core_and_leaves_nothing_behind():
    with slowed(k=4) as load:
        competitors = [p.pid for p in load.competitors]
        assert 0.1 < load.share < 0.3, load
    for pid in competitors:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def _grader(load, course, jobs, *options):
    """The course's parallel grader with ``jobs`` workers, started pinned to the loaded core."""
    return subprocess.Popen(load.command([sys.executable, "-m", "book.grading.parallel",
                                          "--jobs", str(jobs), *options]),
                            cwd=course, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)


def _finish(process):
    """A grader's output once it has ended; killed with its process group if it outlives its
    ceiling."""
    try:
        out, _ = process.communicate(timeout=ceiling(900))
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert process.returncode == 0, out[-3000:]
    return out


@pytest.fixture(scope="module")
def graded_slowly(tmp_path_factory):
    """The heaviest assignment, and a runaway loop in another course, graded at once on one
    slowed core: two graders for the heaviest, one for the loop, and three competitors. While
    the loop's grader runs, each busy process gets a sixth of the core; then a fifth each while
    the two are busy (the last one left grading gets a fourth)."""
    course = released(tmp_path_factory.mktemp("slowed_course"), HEAVIEST, timeout=300)  # full speed
    for assignment in HEAVIEST:
        solution = nbformat.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb", 4)
        submit(course, "solution", assignment, solution)
        submit(course, "untouched", assignment,
               nbformat.read(ROOT / "exercises" / assignment / f"{assignment}.ipynb", 4))
    looping_course = released(tmp_path_factory.mktemp("looping_course"), ["tile_coding"], timeout=300)
    looping = nbformat.read(ROOT / "solutions" / "tile_coding" / "tile_coding.ipynb", 4)
    first = next(c for c in looping.cells if c.metadata.get("nbgrader", {}).get("solution"))
    first.source = "while True:\n    pass\n" + first.source      # nothing after it gets defined
    submit(looping_course, "loop", "tile_coding", looping)
    with slowed(k=3) as load:
        heaviest = _grader(load, course, 2)
        # the loop with a stated default of 5 s (floor 2), to cost little
        loop = _grader(load, looping_course, 1, "--", "--GuardedExecute.timeout=5",
                       "--GuardedExecute.min_timeout=2")
        loop_out = _finish(loop)
        out = _finish(heaviest)
    return course, out, looping_course, loop_out


@GRADING
def test_the_heaviest_assignment_grades_the_same_at_a_fifth_of_a_core(graded_slowly):
    course, out, _, _ = graded_slowly
    with Gradebook(f"sqlite:///{course}/gradebook.db") as gb:
        for assignment in HEAVIEST:
            scores = {s.student.id: s.score for s in gb.assignment_submissions(assignment)}
            assert scores["solution"] == gb.find_assignment(assignment).max_score, (assignment, out[-2000:])
            assert scores["untouched"] == 0, assignment


@GRADING
def test_a_runaway_loop_is_still_stopped_and_the_message_says_why(graded_slowly):
    _, _, course, out = graded_slowly
    nb = nbformat.read(course / "autograded" / "loop" / "tile_coding" / "tile_coding.ipynb", 4)
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("ename") == "TimeoutError"]
    assert errors, out[-2000:]
    message = errors[0]["evalue"]
    found = re.search(r"stopped after (\d+) s, the time limit for this cell: (\d+) s.*: 5 s on the "
                      r"course's reference machine \(28\.6 ms per reference step\), scaled to this "
                      r"grading machine \(([\d.]+) ms per step", message)
    assert found, message
    # the grader measured the slowed machine when it began (three competitors and the graders
    # busy then, its own among them): its reference step at least twice this one's (this one is timed once, when
    # the session starts; on a machine whose speed drifts the ratio was 2.3 where 4 is meant)
    assert float(found.group(3)) / 1000 > 2 * measured_reference_step(), message


@LIVE
def test_every_widget_stops_within_300_ms_at_a_fifth_of_a_core():
    """Every widget at each of its heaviest allowed settings, in a real kernel pinned to a fifth
    of a core: Stop, clicked as a browser clicks it 0.3 s after the first redraw, ends
    the run within 300 ms (from the click's message to the kernel's status message "stopped at
    step", by their own send times; the loop slices its work by elapsed time,
    ``book/widgets/training.py``). The widget is built with the competitors paused: the run is
    what is slowed and timed, from Train on. A run found late is run once more and must be on time
    then: on a virtual machine the host may pause the whole machine for a fraction of a second,
    which a widget cannot help and a slow widget does twice (the cart-pole trainer's heaviest
    run once took 0.49 s in the suite, and 0.04 to 0.09 s in every run measured alone)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import widgets as bench                 # benchmarks/widgets.py: the same driver and clock
    kernel = bench.Kernel()
    tries = {}                              # run: (stop, status) of each try
    is_late = lambda found: found[0] is None or found[0] > 0.3   # noqa: E731
    try:
        heaviest = json.loads(kernel.execute(bench.SETUP % (bench.WIDGETS,)).strip().splitlines()[-1])
        bench.measure(kernel, bench.WIDGETS[0], {}, 0.3)                 # imports, first allocations
        with slowed(k=4) as load:
            bench.pin(kernel.manager.provisioner.pid, str(load.core))
            for name in bench.WIDGETS:
                for k, settings in enumerate(heaviest[name]):
                    run = tries[f"{name} heaviest {k}"] = []
                    while len(run) < 2 and (not run or is_late(run[-1])):
                        result = bench.measure(kernel, name, settings, window=0.3, building=load.paused)
                        run.append((result["stop"], result["status"]))
    finally:
        kernel.close()
    assert load.share < 0.3, load
    assert len(tries) == sum(len(settings) for settings in heaviest.values()) >= 15
    twice = {run: found for run, found in tries.items() if is_late(found[-1])}
    assert not twice, f"late twice: {twice}"
    print("late once, on time when run again:", {run: found for run, found in tries.items() if len(found) > 1})
