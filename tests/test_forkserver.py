"""Kernels forked from the build's fork server (book.forkserver) are ordinary kernels to a page.

That a whole page gives the same outputs in a forked kernel as in one of its own is shown by
test_pages' determinism test (the build's pages run in forked kernels, the test's again in
ordinary ones, and every printed number and figure is compared).
"""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from book.execute_pages import ONE_THREAD
from book.forkserver import ADDRESS, ForkKernelManager, fork_server

# the server's imports in these tests: the kernel and one library, enough to tell a forked
# kernel (it has the library before its first line) from one started on its own
LIGHT = ("ipykernel.kernelapp", "numpy", "json.tool")
PROBE = """\
import os, sys
print(os.getcwd(), sys.path[0], os.environ.get("PROBE_MARK"), "json.tool" in sys.modules,
      __name__, os.getpid(), os.getpgid(0), sep="|")"""


@pytest.fixture(autouse=True)
def one_blas_thread(monkeypatch):
    """As in the build: with a BLAS thread per core the server has threads, and refuses."""
    for name, value in ONE_THREAD.items():
        monkeypatch.setenv(name, value)


def run_cells(folder, *cells, **options):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    NotebookClient(nb, kernel_name="python3", kernel_manager_class=ForkKernelManager,
                   resources={"metadata": {"path": str(folder)}}, **options).execute()
    return ["".join(o.get("text", "")) for c in nb.cells for o in c.outputs]


def probe(folder):
    cwd, path0, mark, preloaded, name, pid, pgid = run_cells(folder, PROBE)[0].strip().split("|")
    return dict(cwd=cwd, path0=path0, mark=mark, preloaded=preloaded == "True", name=name,
                pid=int(pid), pgid=int(pgid))


def gone(pid, within=10):
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def server_pids(address):
    """The processes whose command line names the socket ``address``."""
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and address.encode() in (entry / "cmdline").read_bytes():
                pids.append(int(entry.name))
        except OSError:
            pass
    return pids


def test_forked_kernels_start_fresh_in_the_pages_folder_with_its_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("PROBE_MARK", "first")
    with fork_server(preload=LIGHT):
        first = probe(tmp_path)
        monkeypatch.setenv("PROBE_MARK", "second")
        (tmp_path / "other").mkdir()
        second = probe(tmp_path / "other")
    assert first["preloaded"] and second["preloaded"], "not forked from the server"
    assert first["cwd"] == first["path0"] == str(tmp_path)
    assert (first["mark"], second["mark"]) == ("first", "second")
    assert first["name"] == "__main__"
    assert first["pid"] == first["pgid"], "a kernel leads its own process group"
    assert first["pid"] != second["pid"]
    assert gone(first["pid"]) and gone(second["pid"]), "a finished kernel stays behind"


def test_a_kernel_the_server_refuses_starts_the_ordinary_way(tmp_path, monkeypatch, capfd):
    with fork_server(preload=LIGHT):
        monkeypatch.setenv("OMP_NUM_THREADS", "3")     # read by OpenMP when torch loads
        refused = probe(tmp_path)
    assert not refused["preloaded"]
    assert "environment variables read at load time differ" in capfd.readouterr().err


def test_a_forked_kernel_is_interrupted_and_shut_down(tmp_path):
    with fork_server(preload=LIGHT):
        outputs = run_cells(tmp_path, "import os; print(os.getpid())", "import time; time.sleep(60)",
                            "print('alive')", timeout=2, interrupt_on_timeout=True,
                            allow_errors=True)
    assert outputs[-1].strip() == "alive", outputs
    assert gone(int(outputs[0]))


def test_the_server_ends_when_the_process_that_started_it_dies(tmp_path):
    script = ("import os, sys, time\nfrom book.forkserver import fork_server, ADDRESS\n"
              "with fork_server(preload=('numpy',)):\n    print(os.environ[ADDRESS], flush=True)\n    time.sleep(60)\n")
    address = ""
    owner = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                             start_new_session=True)
    try:
        address = owner.stdout.readline().strip()
        (server,) = [pid for pid in server_pids(address) if pid != owner.pid]
        os.kill(owner.pid, signal.SIGKILL)             # no chance to clean up
        owner.wait()
        assert gone(server)
    finally:
        for pid in [owner.pid] + (server_pids(address) if address else []):
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    os.unlink(address)
    os.rmdir(os.path.dirname(address))


def test_without_a_server_kernels_start_the_ordinary_way(tmp_path, monkeypatch):
    monkeypatch.delenv(ADDRESS, raising=False)
    assert not probe(tmp_path)["preloaded"]
