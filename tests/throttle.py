"""A slower machine, simulated for one process tree: the machine itself is left alone.

``slowed(k)`` pins the processes under test and ``k`` busy competitors to one core with
``taskset``, so that what is under test gets about 1/(k+1) of that core. Linux shares a core
between process sessions first (autogroup), so each competitor runs in a session of its own
(``setsid``); competitors that shared one session would slow the process under test only 2x.
The share really obtained is measured: the reference step (``book.speed``) timed on the core
under the same load, against the same step timed there alone.

The competitors are this process's children: each ends by itself after ``seconds`` and when
its parent dies (PR_SET_PDEATHSIG), and leaving the context kills them by id, even when the
test failed. No cgroup, CPU frequency, sysctl or other process's affinity is touched.
"""
import contextlib
import ctypes
import os
import signal
import subprocess
import sys
from dataclasses import dataclass

BUSY = """
import time
deadline = time.monotonic() + {seconds}
while time.monotonic() < deadline:
    pass
"""
STEP = "from book.speed import reference_step; print(reference_step(repeats=9, warmup=2))"


def _die_with_parent():
    """In the child, before exec: a session of its own, and SIGKILL when the parent dies."""
    os.setsid()
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)   # PR_SET_PDEATHSIG


def pin(pid, core):
    """Pin one process (not its existing threads' siblings elsewhere) to ``core``."""
    subprocess.run(["taskset", "-a", "-p", "-c", str(core), str(pid)], check=True,
                   capture_output=True)


def pinned(core, command):
    """``command`` run on ``core`` (its children inherit it)."""
    return ["taskset", "-c", str(core), *command]


def measure_step(core, env=None):
    """Seconds per reference step of a fresh process pinned to ``core``."""
    out = subprocess.run(pinned(core, [sys.executable, "-c", STEP]), capture_output=True,
                         text=True, check=True, env=env, timeout=600)
    return float(out.stdout.strip().splitlines()[-1])


@dataclass
class Load:
    core: int
    competitors: list
    alone: float = 0.0        # reference step on the core with nothing else
    loaded: float = 0.0       # the same under the competitors

    @property
    def share(self):
        """The share of the core the process under test gets (1 / slowdown)."""
        return self.alone / self.loaded

    def command(self, command):
        return pinned(self.core, command)


@contextlib.contextmanager
def slowed(k=4, seconds=600, core=None):
    """Yield a ``Load``: run what is under test with ``load.command([...])`` (or ``pin`` it);
    ``k`` competitors share its core. ``load.share`` is measured, about 1/(k+1)."""
    core = (os.cpu_count() or 1) - 1 if core is None else core
    load = Load(core=core, competitors=[])
    load.alone = measure_step(core)
    try:
        for _ in range(k):
            load.competitors.append(subprocess.Popen(
                pinned(core, [sys.executable, "-c", BUSY.format(seconds=seconds)]),
                preexec_fn=_die_with_parent, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        load.loaded = measure_step(core)
        yield load
    finally:
        for process in load.competitors:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
