"""A slower machine, simulated for the processes under test only; the machine is left alone.

``slowed(k)`` starts ``k`` busy competitors pinned to one core (``taskset``); what is under
test runs pinned to the same core (``load.command([...])``: its children inherit the pin), so
that each busy process there gets about 1/(k + n) of the core, n being the busy processes
under test. Linux shares a core between process sessions first (autogroup), so every
competitor runs in a session of its own (``setsid``): competitors sharing one session would
slow the process under test only twofold. ``load.share`` is measured, not assumed: the CPU
time a pure-Python probe in a session of its own gets under the load, over its wall-clock time
(not the probe's time alone over its time loaded: that ratio read a fifth as 0.30 on a virtual
machine whose host took time from it while the probe ran alone).

The competitors are children of this process: each ends by itself after ``seconds`` and when
its parent dies (``PR_SET_PDEATHSIG``); leaving the block kills them by process group, even when
the test failed. No cgroup, CPU frequency, sysctl, or other process's affinity is touched.
"""
import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field

BUSY = "import time\nend = time.monotonic() + {seconds}\nwhile time.monotonic() < end:\n    pass\n"
PROBE = ("import time\nstart, cpu = time.perf_counter(), time.process_time()\ntotal = 0\n"
         "for i in range(2_000_000):\n    total += i\n"
         "print(time.perf_counter() - start, time.process_time() - cpu)\n")


def _own_session_dying_with_parent():
    """In a child, before exec: a session of its own, and SIGKILL when its parent dies."""
    os.setsid()
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)   # PR_SET_PDEATHSIG


def lane_core():
    """The core for this process's slowed tests: the last core, or for pytest-xdist's worker
    gw<i> the i-th from last, so that two workers' simulated slow machines never share a core."""
    n = os.cpu_count() or 1
    return (n - 1 - int(os.environ.get("PYTEST_XDIST_WORKER", "gw0")[2:] or 0)) % n


def on_core(core, command):
    return ["taskset", "-c", str(core), *command]


def probe_seconds(core):
    """Wall-clock and CPU seconds of the pure-Python probe, run in a session of its own on
    ``core``."""
    out = subprocess.run(on_core(core, [sys.executable, "-c", PROBE]), capture_output=True,
                         text=True, check=True, timeout=300, start_new_session=True)
    wall, cpu = map(float, out.stdout.split())
    return wall, cpu


@dataclass
class Load:
    core: int
    competitors: list = field(default_factory=list)
    loaded: float = 0.0       # the probe's seconds under the competitors
    share: float = 0.0        # the share of the core the probe got meanwhile

    def command(self, command):
        """``command`` pinned to the loaded core (its children inherit the pin)."""
        return on_core(self.core, command)

    @contextlib.contextmanager
    def paused(self):
        """The competitors stopped (SIGSTOP) inside the block and resumed after it: for what
        the test does not measure, e.g. building the widget whose run it then times."""
        for process in self.competitors:
            os.killpg(process.pid, signal.SIGSTOP)
        try:
            yield
        finally:
            for process in self.competitors:
                os.killpg(process.pid, signal.SIGCONT)
            time.sleep(0.05)                              # spinning again


@contextlib.contextmanager
def slowed(k=4, seconds=300, core=None):
    """Yield a ``Load``: ``k`` competitors busy on ``core`` (default: ``lane_core()``) for at
    most ``seconds``; run what is under test with ``load.command([...])``."""
    core = lane_core() if core is None else core
    load = Load(core=core)
    try:
        for _ in range(k):
            load.competitors.append(subprocess.Popen(
                on_core(core, [sys.executable, "-c", BUSY.format(seconds=seconds)]),
                preexec_fn=_own_session_dying_with_parent,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        time.sleep(0.2)                                   # the competitors are spinning
        load.loaded, cpu = probe_seconds(core)
        load.share = cpu / load.loaded
        yield load
    finally:
        for process in load.competitors:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
