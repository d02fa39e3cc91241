"""Autograde a whole class at once: one nbgrader worker per CPU core.

    python -m book.grading.parallel [ASSIGNMENT ...] [--student ID ...] [--jobs N] [-- OPTIONS]
    ./course grade ...                               (the same, with the course's environment)

Run it where you run nbgrader (the course folder, beside ``nbgrader_config.py``). Every
submission under ``submitted/<student>/<assignment>/`` is graded by nbgrader's own
``autograde`` (so ``nbgrader_config.py`` applies as it does for ``nbgrader autograde``), each
in the course's sandboxed kernel, several at a time. The gradebook stays nbgrader's: SQLite
on one machine (writers wait for each other), or PostgreSQL for several machines through
``c.CourseDirectory.db_url`` in ``nbgrader_config.py``.

Each worker is a process of its own that grades one submission at a time; a worker that
dies costs only the submission it was grading (reported by name, the other grades kept) and
is replaced. Assignments missing from the gradebook are released first (``generate_assignment``,
which reproduces ``exercises/``). Other nbgrader options pass through: ``--GuardedExecute.timeout=60``.
"""
import argparse
import fnmatch
import json
import os
import queue
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

from .limits import RUN_STEP, calibrate
from .sandbox import isolation


def _app(extra):
    """nbgrader's configuration, loaded as the nbgrader command loads it."""
    scripts = os.path.dirname(sys.executable)      # nbgrader runs its helper (alembic) by name
    if scripts not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = scripts + os.pathsep + os.environ.get("PATH", "")
    from nbgrader.apps.api import NbGraderAPI
    from nbgrader.apps.baseapp import NbGrader

    class Grader(NbGrader):
        name = "course-grade"

    app = Grader()
    app.initialize(list(extra))
    url = app.coursedir.db_url
    if url.startswith("sqlite") and "timeout=" not in url:   # writers queue, not fail
        app.coursedir.db_url = url + ("&" if "?" in url else "?") + "timeout=120"
    return app, NbGraderAPI(coursedir=app.coursedir, parent=app)


def _sandbox_enabled(app):
    from .execute import SandboxedKernelManager
    return SandboxedKernelManager(config=app.config).os_sandbox


def _score(api, assignment, student):
    from nbgrader.api import Gradebook
    with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as gb:
        submission = gb.find_submission(assignment, student)
        return submission.score, submission.max_score


def worker(extra):
    """Grade the jobs ("assignment student" lines on stdin), answering one JSON line each."""
    answers = os.fdopen(os.dup(1), "w")        # the kernels and the logs write to fd 1 too:
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)   # only the answers go to the manager
    sys.stdout = sys.stderr
    _, api = _app(extra)
    for line in sys.stdin:
        assignment, student = line.split()
        start = time.perf_counter()
        for attempt in range(3):                 # a locked SQLite file clears on retry
            result = api.autograde(assignment, student, force=True, create=True)
            if result["success"] or "database is locked" not in result.get("error", "") + \
                    result.get("log", ""):
                break
        answer = {"assignment": assignment, "student": student, "ok": result["success"],
                  "seconds": round(time.perf_counter() - start, 2)}
        if result["success"]:
            answer["score"], answer["max_score"] = _score(api, assignment, student)
        else:
            # nbgrader's log holds the specific errors, its error only "see the above traceback"
            answer["error"] = f"{result.get('log') or ''}\n{result.get('error') or ''}"[-4000:]
        print(json.dumps(answer), file=answers, flush=True)


def reason(error):
    """The line of nbgrader's log that says why a submission failed: its last error other than
    nbgrader's own "see the above traceback"."""
    lines = [line.strip() for line in error.strip().splitlines() if line.strip()]
    specific = [line for line in lines if re.match(r"[\w.]*(Error|Exception|Timeout)\b", line)
                and "NbGraderException" not in line]
    return (specific or lines or ["no message"])[-1][:200]


def _matches(name, patterns):
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)


def _jobs(root, assignments, students):
    submitted = Path(root) / "submitted"
    found = []
    for folder in sorted(submitted.glob("*/*")):
        student, assignment = folder.parent.name, folder.name
        if folder.is_dir() and (not assignments or _matches(assignment, assignments)) and \
                (not students or _matches(student, students)):
            found.append((assignment, student))
    return found


def _add_missing_students(api, students):
    """Put the class's new students in the gradebook first: two workers grading two
    submissions of a new student at once would both add the student, and one would fail."""
    from nbgrader.api import Gradebook
    with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as gb:
        known = {student.id for student in gb.students}
        for student in sorted(set(students) - known):
            gb.add_student(student)


def _release_missing(api, assignments, log):
    from nbgrader.api import Gradebook
    with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as gb:
        known = {a.name for a in gb.assignments}
    for assignment in sorted(set(assignments) - known):
        log(f"releasing {assignment} first (it is not in the gradebook yet)")
        result = api.generate_assignment(assignment, force=True, create=True)
        if not result["success"]:
            raise SystemExit(f"could not release {assignment}:\n{result.get('error', '')}")


class Pool:
    """``jobs`` worker processes fed from one queue; a dead worker is replaced."""

    def __init__(self, jobs, extra, threads_per_kernel, step):
        self.n, self.extra = jobs, list(extra)
        self.env = dict(os.environ, OMP_NUM_THREADS=str(threads_per_kernel),
                        MKL_NUM_THREADS=str(threads_per_kernel), **{RUN_STEP: repr(step)})
        self.processes = []                      # the live workers (a test kills one)

    def _start(self):
        process = subprocess.Popen([sys.executable, "-m", "book.grading.parallel", "--worker",
                                 "--", *self.extra], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                text=True, env=self.env, bufsize=1)
        self.processes.append(process)
        return process

    def run(self, jobs, report):
        todo = queue.Queue()
        for job in jobs:
            todo.put(job)

        def serve():
            process = self._start()
            while True:
                try:
                    assignment, student = todo.get_nowait()
                except queue.Empty:
                    break
                try:
                    process.stdin.write(f"{assignment} {student}\n")
                    process.stdin.flush()
                    line = process.stdout.readline()
                except (BrokenPipeError, OSError):
                    line = ""
                if not line:                          # the worker died with this submission
                    report({"assignment": assignment, "student": student, "ok": False,
                            "error": f"the grading worker died (exit code {process.wait()})"})
                    process = self._start()
                    continue
                report(json.loads(line))
            process.stdin.close()
            process.wait()

        threads = [threading.Thread(target=serve) for _ in range(min(self.n, len(jobs)))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()


def grade(assignments=(), students=(), jobs=None, extra=(), force=False, log=print):
    """Grade the class; returns the list of results (one dict per submission).

    Like ``nbgrader autograde``, submissions already autograded are left alone unless
    ``force``."""
    app, api = _app(extra)
    root = app.coursedir.root
    work = _jobs(root, set(assignments), set(students))
    if not work:
        raise SystemExit(f"nothing to grade under {root}/submitted/<student>/<assignment>/")
    done = [job for job in work if (Path(root) / "autograded" / job[1] / job[0]).is_dir()]
    if done and not force:
        log(f"skipping {len(done)} submissions already graded (--force grades them again)")
        work = [job for job in work if job not in done]
        if not work:
            return []
    _release_missing(api, {a for a, _ in work}, log)
    _add_missing_students(api, {s for _, s in work})
    jobs = jobs or os.cpu_count() or 1
    log(f"grading {len(work)} submissions with {min(jobs, len(work))} workers; "
        f"isolation: {isolation(_sandbox_enabled(app))}")
    results, lock, start = [], threading.Lock(), time.perf_counter()

    def report(result):
        with lock:
            results.append(result)
            mark = (f"{result['score']:g}/{result['max_score']:g}" if result["ok"]
                    else "FAILED: " + reason(result["error"]))
            log(f"[{len(results)}/{len(work)}] {result['student']}/{result['assignment']}: {mark}"
                + (f" ({result['seconds']:.1f} s)" if "seconds" in result else ""))

    threads = max(1, (os.cpu_count() or 1) // jobs)
    Pool(jobs, extra, threads, calibrate()).run(work, report)
    failed = [r for r in results if not r["ok"]]
    log(f"graded {len(results) - len(failed)}/{len(work)} submissions in "
        f"{time.perf_counter() - start:.0f} s" + (f"; failed: " + ", ".join(
            f"{r['student']}/{r['assignment']}" for r in failed) if failed else ""))
    return results


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    extra = []
    if "--" in argv:
        argv, extra = argv[:argv.index("--")], argv[argv.index("--") + 1:]
    extra += [a for a in argv if a.startswith("--") and "=" in a and "." in a.split("=")[0]]
    argv = [a for a in argv if a not in extra]
    if argv[:1] == ["--worker"]:
        return worker(extra)
    parser = argparse.ArgumentParser(prog="course grade", description=__doc__.split("\n\n")[0])
    parser.add_argument("assignments", nargs="*",
                        help="assignments to grade, or patterns such as 'rnn*' (default: all)")
    parser.add_argument("--student", action="append", default=[],
                        help="only these students (repeatable; patterns such as 's0[0-4]*')")
    parser.add_argument("--jobs", "-j", type=int, default=None,
                        help="workers (default: one per CPU core)")
    parser.add_argument("--force", action="store_true",
                        help="grade again submissions that were already autograded")
    args = parser.parse_args(argv)
    results = grade(args.assignments, args.student, args.jobs, extra, args.force)
    return 1 if any(not r["ok"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
