"""The operating-system sandbox on its own, and the class grader's workers and databases.

- bubblewrap as the grader starts it, without the in-kernel guard: what a process inside
  can see, write, reach and signal;
- a worker that dies mid-class costs only the submission it was grading;
- the same parallel command against a real PostgreSQL server on loopback.
"""
import getpass
import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from book.grading import sandbox
from book.grading.parallel import Pool
from conftest import ceiling, measured_reference_step

ROOT = Path(__file__).resolve().parents[1]
PROBE = r"""
import json, os, socket
seen = {"pids": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()),
        "course": os.listdir(COURSE), "gradebook": os.path.exists(COURSE + "/gradebook.db"),
        "home": os.listdir(HOME), "uid": os.getuid()}
for name, path in {"own": "answer.txt", "tmp": "/tmp/x", "system": "/usr/x", "parent": "../x"}.items():
    try:
        open(path, "w").write("x")
        seen[name] = "written"
    except OSError as error:
        seen[name] = error.strerror
try:
    socket.create_connection(("1.1.1.1", 80), timeout=2)
    seen["network"] = "connected"
except OSError as error:
    seen["network"] = error.strerror
try:
    os.kill(GRADER, 0)
    seen["grader"] = "signalled"
except OSError as error:
    seen["grader"] = error.strerror
print(json.dumps(seen))
"""

needs_bwrap = pytest.mark.skipif(not sandbox.available(), reason="bubblewrap cannot run here")


def test_linux_machines_grade_in_the_os_sandbox():
    """CI installs bubblewrap: a machine where it cannot run would grade with the guard only."""
    if sys.platform.startswith("linux"):
        assert sandbox.available(), "bubblewrap is missing or cannot create namespaces"
        assert sandbox.isolation().startswith("operating-system sandbox")


@needs_bwrap
def test_the_sandbox_shows_only_the_submission(tmp_path):
    course = tmp_path / "course"
    work = course / "autograded" / "alice" / "pca"
    private = tmp_path / "private"
    for folder in (work, private, course / "solutions"):
        folder.mkdir(parents=True)
    (course / "gradebook.db").write_bytes(b"grades")
    script = PROBE.replace("COURSE", repr(str(course))).replace("GRADER", str(os.getpid()))\
        .replace("HOME", repr(os.path.realpath(os.path.expanduser("~"))))
    cmd = sandbox.command([sys.executable, "-c", script], work, private, [course],
                          [sys.prefix, sys.base_prefix])
    seen = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True,
                                     timeout=ceiling(60)).stdout)
    # of the course folder, only the path to the submission's own folder is there
    assert seen["course"] == ["autograded"] and not seen["gradebook"]
    home = Path(os.path.expanduser("~")).resolve()       # of the grader's home, only Python
    python = {Path(p).resolve() for p in (sys.prefix, sys.base_prefix)}
    assert set(seen["home"]) == {p.relative_to(home).parts[0] for p in python if home in p.parents}
    assert seen["own"] == "written" and seen["tmp"] == "written"
    assert seen["system"] == "Read-only file system"
    assert seen["parent"] in ("Read-only file system", "Permission denied")
    assert seen["network"] == "Network is unreachable"
    assert seen["grader"] == "No such process"              # its own process namespace
    assert len(seen["pids"]) <= 3 and seen["uid"] != 0
    assert (work / "answer.txt").read_text() == "x"
    assert (course / "gradebook.db").read_bytes() == b"grades"
    assert not (course / "autograded" / "alice" / "x").exists()


def _class(tmp_path, students):
    course = tmp_path / "course"
    course.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "solutions" / "pca", course / "solutions" / "pca")
    solution = nbformat.read(course / "solutions" / "pca" / "pca.ipynb", as_version=4)
    for student in students:
        target = course / "submitted" / student / "pca"
        target.mkdir(parents=True)
        nbformat.write(solution, target / "pca.ipynb")
    return course


def test_a_dead_worker_costs_only_its_own_submission(tmp_path, monkeypatch):
    students = [f"s{i}" for i in range(3)]   # one finishes, one is killed while graded, one after
    course = _class(tmp_path, students)
    monkeypatch.chdir(course)
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    subprocess.run([str(Path(sys.executable).parent / "nbgrader"), "generate_assignment", "pca",
                    "--force"], cwd=course, env=env, check=True, capture_output=True)
    # the killed worker cannot remove its kernel's private folder: the workers make theirs in
    # a folder of this test's, removed at the end (short: the kernel's sockets are files there)
    private = tempfile.mkdtemp(prefix="cg-")
    monkeypatch.setenv("TMPDIR", private)
    pool, results = Pool(2, [], 1, measured_reference_step()), []

    def report(result):
        results.append(result)
        if len(results) == 1:                 # kill a worker while it grades someone else
            busy = [p for p in pool.processes if p.poll() is None]
            os.kill(busy[-1].pid, signal.SIGKILL)

    try:
        pool.run([("pca", s) for s in students], report)
    finally:
        shutil.rmtree(private, ignore_errors=True)
    assert sorted(r["student"] for r in results) == students
    died = [r for r in results if not r["ok"]]
    assert len(died) <= 1 and all("worker died" in r["error"] for r in died)
    with Gradebook(f"sqlite:///{course}/gradebook.db") as gb:
        graded = {s.student.id: s.score for s in gb.assignment_submissions("pca")}
    for r in results:
        if r["ok"]:
            assert r["score"] == 10 and graded[r["student"]] == 10


def _postgres_bin():
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if not found and shutil.which("pg_ctl"):
        found = [os.path.realpath(shutil.which("pg_ctl"))]
    return Path(found[-1]).parent if found else None


@pytest.fixture
def postgres():
    """A real PostgreSQL server on loopback, owned by a non-root user when run as root."""
    pg = _postgres_bin()
    if pg is None:
        pytest.skip("no PostgreSQL server installed (Debian package postgresql)")
    pytest.importorskip("psycopg")
    folder = Path(tempfile.mkdtemp(prefix="course-pg-"))   # outside pytest's private folders
    data = folder / "pgdata"
    data.mkdir()
    run_as = []
    if os.geteuid() == 0:                      # initdb refuses to run as root
        run_as = ["runuser", "-u", "postgres", "--"]
        shutil.chown(data, "postgres")
        os.chmod(folder, 0o755)
    user = "postgres" if run_as else getpass.getuser()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    subprocess.run(run_as + [str(pg / "initdb"), "-D", str(data), "-U", user, "--auth=trust"],
                   check=True, capture_output=True)
    subprocess.run(run_as + [str(pg / "pg_ctl"), "-D", str(data), "-w", "-l", str(data / "log"),
                             "-o", f"-p {port} -k {data} -c listen_addresses=127.0.0.1", "start"],
                   check=True, capture_output=True)
    try:
        subprocess.run(run_as + [str(pg / "createdb"), "-h", "127.0.0.1", "-p", str(port),
                                 "-U", user, "gradebook"], check=True, capture_output=True)
        yield f"postgresql://{user}@127.0.0.1:{port}/gradebook"
    finally:
        subprocess.run(run_as + [str(pg / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


def test_parallel_grading_against_postgresql(tmp_path, postgres):
    students = ["ada", "grace", "alan"]
    course = _class(tmp_path, students)
    with open(course / "nbgrader_config.py", "a") as config:
        config.write(f"\nc.CourseDirectory.db_url = {postgres!r}\n")
    result = subprocess.run([sys.executable, "-m", "book.grading.parallel", "--jobs", "2"], cwd=course,
                            capture_output=True, text=True, timeout=ceiling(600))
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "graded 3/3 submissions" in result.stdout
    with Gradebook(postgres) as gb:
        graded = {s.student.id: s.score for s in gb.assignment_submissions("pca")}
        assert gb.find_assignment("pca").max_score == 10
    assert graded == {s: 10 for s in students}
    assert not (course / "gradebook.db").exists()       # nothing went to SQLite
