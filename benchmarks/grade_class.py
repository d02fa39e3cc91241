"""Grading a whole class: the course's parallel grader against stock nbgrader, serially.

    python benchmarks/grade_class.py                                   # 60 students x every assignment
    python benchmarks/grade_class.py --students 4 --assignments pca,kmeans   # a quick run (< 3 min)

1. A synthetic class (benchmarks/synthetic_class.py, seeded): --students N x the assignments
   in solutions/, each submission correct (55 %), partly wrong (20 %), blank (15 %) or
   misbehaving (10 %: an infinite loop, a huge print, a memory hog, os._exit, deleting the
   gradebook), written into a course folder that is then copied once per run.
2. The class graded, each run in its own copy of that folder:
   - stock serial: `nbgrader autograde A` for each assignment with nbgrader's own Execute
     preprocessor (plain kernel, no sandbox, no guard), the baseline;
   - course serial (sandbox): `python -m book.grading.parallel --jobs 1`;
   - course parallel: `python -m book.grading.parallel` (one worker per core);
   and the parallel grades are compared, cell by cell, with the course's serial ones.
3. The sandbox's cost: up to --subset correct submissions of assignments whose tests declare
   no time limit of their own (the cheap ones), graded by the course's grader with --jobs 1,
   with the operating-system sandbox and with `--SandboxedKernelManager.os_sandbox=False`
   (the in-kernel guard only), twice each in the order sandbox, guard, guard, sandbox.
4. The mean score of each kind of submission, stock and course, and the course's grades
   that look wrong for their kind (e.g. a partly wrong submission at full marks).

Time limits: every run gets --timeout seconds per cell (default 10, instead of the notebooks'
60), so that the infinite loops cost little: `--GuardedExecute.timeout` for the course's
grader, `--Execute.timeout` for stock nbgrader. A test cell that declares a longer limit
("# time limit: 180 s", cnn_digits) keeps it in the course's grader; stock nbgrader has one
limit for every cell, so it gets the largest limit that the assignment's tests declare.
Stock nbgrader's gradebook lives outside its course folder: it has no guard, and the
submissions that delete ../../../gradebook.db would otherwise end the baseline half way.
Stock nbgrader gives up on a submission whose kernel dies (os._exit): the progress lines
count those as not graded. Peak memory is the largest sum of RSS over the grader's process tree (kernels included),
sampled every 0.2 s. Students per minute count a student as one submission per assignment.

Goals on a 2-core CPU: course parallel >= 1.8x stock serial in students per minute; every
parallel grade identical to the course's serial grade; the sandbox's overhead <= 10 % per
notebook.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook

from book.grading import sandbox
from book.grading.execute import TIME_LIMIT
from synthetic_class import ROOT, build_class          # beside this script

try:
    import psutil
except ImportError:                                   # then /proc
    psutil = None

COURSE_ID = "ml-course"                  # nbgrader_config.py's CourseDirectory.course_id
from build_and_grade import BIN, ENV, STOCK  # noqa: E402 - nbgrader's own pipeline, the baseline
SAMPLE_S = 0.2
MiB = 1024**2


# ---- memory: the sum of RSS over a process tree -------------------------------------------

def _tree_rss_psutil(pid):
    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for process in processes:
        try:
            total += process.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


def _tree_rss_proc(pid):
    """The same from /proc (Linux), where psutil is not installed."""
    children, page = defaultdict(list), os.sysconf("SC_PAGE_SIZE")
    for entry in os.listdir("/proc"):
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            children[int(stat.rsplit(")", 1)[1].split()[1])].append(int(entry))
        except (ValueError, OSError, IndexError):
            pass
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        todo += children[current]
        try:
            total += int(Path(f"/proc/{current}/statm").read_text().split()[1]) * page
        except (OSError, IndexError, ValueError):
            pass
    return total


def tree_rss(pid):
    """Bytes resident in the process and all its descendants."""
    return (_tree_rss_psutil if psutil else _tree_rss_proc)(pid)


def run_sampled(command, cwd, log):
    """Run a command, appending its output to log; returns (seconds, peak RSS of its tree)."""
    peak, start = 0, time.perf_counter()
    with open(log, "a") as out:
        process = subprocess.Popen(command, cwd=cwd, env=ENV, stdout=out,
                                   stderr=subprocess.STDOUT)
        while process.poll() is None:
            peak = max(peak, tree_rss(process.pid))
            time.sleep(SAMPLE_S)
    return time.perf_counter() - start, peak


# ---- the course folder and its copies -----------------------------------------------------

def make_course(folder, assignments, students, seed):
    """A course folder with the assignments released and the synthetic class submitted."""
    folder.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", folder)
    for assignment in assignments:
        shutil.copytree(ROOT / "solutions" / assignment, folder / "solutions" / assignment)
        subprocess.run([str(BIN / "nbgrader"), "generate_assignment", assignment, "--force"],
                       cwd=folder, env=ENV, check=True, capture_output=True)
    return build_class(folder, students, assignments, seed)


def copy_course(template, folder, only=None):
    """A fresh copy of the course folder; only: keep just these (student, assignment) pairs."""
    shutil.copytree(template, folder)
    if only is not None:
        for path in (folder / "submitted").glob("*/*"):
            if (path.parent.name, path.name) not in only:
                shutil.rmtree(path)
        for student in (folder / "submitted").iterdir():
            if not any(student.iterdir()):
                student.rmdir()
    return folder


def declared_limit(assignment, default):
    """The largest per-cell limit the assignment's tests need ("# time limit: N s"), at least default."""
    nb = nbformat.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    found = [int(m.group(1)) for c in nb.cells if c.cell_type == "code"
             for m in [TIME_LIMIT.search(c.source)] if m]
    return max([default, *found])


def submitted(course, assignment="*"):
    return len(list(course.glob(f"submitted/*/{assignment}")))


def graded(course):
    """How many submissions have an autograded notebook (nbgrader removes failed ones)."""
    return len(list((course / "autograded").glob("*/*/*.ipynb")))


# ---- the runs -----------------------------------------------------------------------------

class Run:
    """One grading of (part of) the class: what it graded, in how long, with how much memory."""

    def __init__(self, name, course, db_url, whole_class=True):
        self.name, self.course, self.db_url = name, course, db_url
        self.whole_class = whole_class
        self.seconds = self.peak = 0.0
        self.submissions = 0

    def add(self, seconds, peak, submissions):
        self.seconds += seconds
        self.peak = max(self.peak, peak)
        self.submissions += submissions

    @property
    def missing(self):
        """Submissions of the last pass that have no autograded notebook."""
        return submitted(self.course) - graded(self.course)

    def per_minute(self):
        return self.submissions / self.seconds * 60


def stock_serial(course, assignments, timeout):
    """nbgrader autograde, one assignment after the other, with nbgrader's own executor."""
    outside = course.parent / f"{course.name}-gradebook"     # out of the submissions' reach
    outside.mkdir()
    shutil.move(course / "gradebook.db", outside / "gradebook.db")
    db_url = f"sqlite:///{outside / 'gradebook.db'}"
    run = Run("stock nbgrader, serial", course, db_url)
    for assignment in assignments:
        run.add(*run_sampled(
            [str(BIN / "nbgrader"), "autograde", assignment, "--force",
             f"--CourseDirectory.db_url={db_url}", f"--Autograde.autograde_preprocessors={STOCK}",
             f"--Execute.timeout={declared_limit(assignment, timeout)}"],
            course, course.parent / f"{course.name}.log"), submitted(course, assignment))
    return run


def course_run(name, course, whole_class=True):
    return Run(name, course, f"sqlite:///{course / 'gradebook.db'}", whole_class)


def course_pass(run, timeout, jobs=None, sandboxed=True):
    """One pass of python -m book.grading.parallel over run's course folder (as ./course grade)."""
    options = [f"--GuardedExecute.timeout={timeout}"]
    if not sandboxed:
        options.append("--SandboxedKernelManager.os_sandbox=False")
    command = [sys.executable, "-m", "book.grading.parallel", "--force",   # a pass again
               *([f"--jobs={jobs}"] if jobs else []), "--", *options]
    run.add(*run_sampled(command, run.course, run.course.parent / f"{run.course.name}.log"),
            submitted(run.course))
    return run


def sandbox_overhead(course, timeout):
    """The same submissions graded serially with the sandbox and with the guard only, twice
    each, in the order sandbox, guard, guard, sandbox (a drift in the machine's speed cancels)."""
    sandboxed = course_run("course, serial (sandbox), subset twice", course, False)
    guarded = course_run("course, serial (guard only), subset twice", course, False)
    for run in (sandboxed, guarded, guarded, sandboxed):
        course_pass(run, timeout, jobs=1, sandboxed=run is sandboxed)
    return sandboxed, guarded


def cheap_correct(plan, limit):
    """Up to limit correct submissions, of assignments whose tests declare no time limit (of
    any assignment if all do), taken in turn from each assignment."""
    assignments = sorted({a for _, a in plan})
    cheap = [a for a in assignments if declared_limit(a, 0) == 0] or assignments
    queues = {a: [pair for pair, kind in sorted(plan.items())
                  if kind == "correct" and pair[1] == a] for a in cheap}
    chosen = []
    while len(chosen) < limit and any(queues.values()):
        for assignment in cheap:
            if queues[assignment] and len(chosen) < limit:
                chosen.append(queues[assignment].pop(0))
    return set(chosen)


# ---- grades -------------------------------------------------------------------------------

def cell_grades(db_url):
    """{(student, assignment, notebook, cell): score} from an nbgrader gradebook."""
    with Gradebook(db_url, COURSE_ID) as gb:
        return {(sub.student.id, assignment.name, nb.name, grade.name): grade.score
                for assignment in gb.assignments for sub in assignment.submissions
                for nb in sub.notebooks for grade in nb.grades}


def submission_fractions(db_url):
    """{(student, assignment): score / max score}."""
    with Gradebook(db_url, COURSE_ID) as gb:
        return {(sub.student.id, assignment.name): sub.score / sub.max_score
                for assignment in gb.assignments for sub in assignment.submissions
                if sub.max_score}


# ---- the report ---------------------------------------------------------------------------

def table(runs, assignments_per_student):
    print(f"\n{'run':<44} {'submissions':>11} {'seconds':>8} {'students/min':>12} "
          f"{'submissions/min':>15} {'peak MiB':>9}")
    for run in runs:
        students = (f"{run.per_minute() / assignments_per_student:12.2f}" if run.whole_class
                    else f"{'-':>12}")
        print(f"{run.name:<44} {run.submissions:>11} {run.seconds:8.1f} {students} "
              f"{run.per_minute():15.2f} {run.peak / MiB:9.0f}")


def goal(text, ok=None):
    print(f"{text}{'' if ok is None else ('  met' if ok else '  MISSED')}")


def speed(stock, serial, parallel):
    speedup = parallel.per_minute() / stock.per_minute()
    goal(f"course parallel / stock serial: {speedup:.2f}x students per minute, goal >= 1.8x",
         speedup >= 1.8)
    goal(f"course parallel / course serial: {parallel.per_minute() / serial.per_minute():.2f}x; "
         f"course serial / stock serial: {serial.per_minute() / stock.per_minute():.2f}x")


def identical(serial, parallel):
    """Every cell's grade of the parallel run against the course's serial run."""
    first, second = cell_grades(serial.db_url), cell_grades(parallel.db_url)
    keys = sorted(set(first) | set(second))
    different = [key for key in keys if first.get(key) != second.get(key)]
    goal(f"parallel grades identical to the course's serial grades: "
         f"{len(keys) - len(different)}/{len(keys)} cells", keys and not different)
    for key in different[:10]:
        print(f"    {'/'.join(key)}: serial {first.get(key)}, parallel {second.get(key)}")


def overhead(sandboxed, guarded):
    if not sandbox.available():
        print("sandbox overhead: not measured, bubblewrap cannot run here (both runs used the "
              "in-kernel guard only)")
        return
    per_sandboxed = sandboxed.seconds / sandboxed.submissions
    per_guarded = guarded.seconds / guarded.submissions
    percent = (per_sandboxed / per_guarded - 1) * 100
    goal(f"sandbox overhead: {per_sandboxed:.2f} s per notebook against {per_guarded:.2f} s "
         f"with the guard only, {percent:+.1f} %, goal <= 10 %", percent <= 10)


def expected_full_marks(kind):
    """Correct answers earn full marks, however the submission misbehaves (unless it kills
    its kernel before its later answers run)."""
    return kind == "correct" or (kind.startswith("misbehaving") and "kernel exit" not in kind)


def scores_by_kind(plan, stock, serial):
    """Mean score of each kind of submission, stock against the course, and what looks odd."""
    fractions = {run.name: submission_fractions(run.db_url) for run in (stock, serial)}
    course = fractions[serial.name]
    print(f"\n{'kind of submission':<32} {'n':>4} {'stock mean':>10} {'course mean':>11} "
          f"{'course full marks':>17}")
    for kind in sorted(set(plan.values()), key=lambda k: (k.startswith("misbehaving"), k)):
        pairs = [pair for pair, label in plan.items() if label == kind]
        means = []
        for run in (stock, serial):
            found = [fractions[run.name][p] for p in pairs if p in fractions[run.name]]
            means.append(f"{100 * sum(found) / len(found):.0f} %" if found else "not graded")
        full = sum(course.get(p) == 1 for p in pairs)
        print(f"{kind:<32} {len(pairs):>4} {means[0]:>10} {means[1]:>11} {full:>12}/{len(pairs)}")
    odd = [f"{s}/{a} ({kind}: {100 * course.get((s, a), 0):.0f} %)"
           for (s, a), kind in sorted(plan.items())
           if expected_full_marks(kind) != (course.get((s, a)) == 1)]
    print("odd course grades: " + (", ".join(odd) if odd else "none (correct answers at full "
                                  "marks, wrong or blank ones below)"))


def progress(run):
    print(f"  {run.name}: {run.submissions} submissions in {run.seconds:.0f} s"
          + (f", {run.missing} not graded" if run.missing else ""), flush=True)
    return run


def grade_everything(work, plan, assignments, timeout, subset):
    """Every run of the benchmark, each in its own copy of work/template."""
    def fresh(name, only=None):
        return copy_course(work / "template", work / name, only)

    stock = progress(stock_serial(fresh("stock"), assignments, timeout))
    serial = progress(course_pass(course_run("course, serial (sandbox)", fresh("serial")),
                                  timeout, jobs=1))
    parallel = progress(course_pass(course_run(f"course, parallel ({os.cpu_count()} workers)",
                                               fresh("parallel")), timeout))
    sandboxed, guarded = map(progress, sandbox_overhead(
        fresh("subset", only=cheap_correct(plan, subset)), timeout))
    return stock, serial, parallel, sandboxed, guarded


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=60)
    parser.add_argument("--assignments", default="",
                        help="comma-separated (default: every assignment in solutions/)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=int, default=10,
                        help="seconds per cell for every grader (the notebooks say 60)")
    parser.add_argument("--subset", type=int, default=10,
                        help="correct submissions graded with and without the sandbox")
    parser.add_argument("--keep", action="store_true",
                        help="keep the course folders, the graders' logs and gradebooks")
    args = parser.parse_args()
    assignments = [a for a in args.assignments.split(",") if a] or \
        sorted(p.name for p in (ROOT / "solutions").iterdir() if p.is_dir())
    tmp = tempfile.mkdtemp(prefix="grade-class-")
    try:
        work = Path(tmp)
        plan = make_course(work / "template", assignments, args.students, args.seed)
        print(f"{args.students} students x {len(assignments)} assignments = {len(plan)} "
              f"submissions, {args.timeout} s per cell; isolation: {sandbox.isolation()}",
              flush=True)
        stock, serial, parallel, sandboxed, guarded = grade_everything(
            work, plan, assignments, args.timeout, args.subset)
        table([stock, serial, parallel, sandboxed, guarded], len(assignments))
        print()
        speed(stock, serial, parallel)
        identical(serial, parallel)
        overhead(sandboxed, guarded)
        scores_by_kind(plan, stock, serial)
    finally:
        if args.keep:
            print(f"\ncourse folders, logs and gradebooks kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
