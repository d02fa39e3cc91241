"""Grading time limits that follow the machine the grader runs on.

A limit in seconds chosen on one machine fails honest students on a slower one: a laptop
five years old, or a JupyterHub node shared by thirty kernels. The course therefore states
its limits for one machine, the slowest of CI's kind (``book.speed.SLOW_STEP``, 28.6 ms per
reference step): 60 s a cell, or a test cell's own ``# time limit: N s``. Each grading
process times the reference step once, where and when it grades (``calibrate``), and scales
every stated limit by the ratio of the two, between the instructor's floor and ceiling (the
course's parallel grader times it once for the whole run, before its workers start, so that
every submission of a run gets the same limits)::

    limit = min(ceiling, max(floor, stated * measured_step / SLOW_STEP))

On a machine five times faster than the slowest, a runaway loop is stopped after 12 s rather
than 60; on one five times slower, an honest solution gets 300 s. ``GuardedExecute.min_timeout``
and ``max_timeout`` in ``nbgrader_config.py`` set the floor and the ceiling; ``timeout`` the
stated default. The limit, and how it was reached, is written into the message of a cell that
ran past it (``Limits.explain``).
"""
import functools
import os
from dataclasses import dataclass

from ..speed import SLOW_STEP


RUN_STEP = "COURSE_GRADING_STEP"     # set by book.grading.parallel for its workers


@functools.cache
def calibrate():
    """Seconds per reference step on this machine now: timed once per grading process, or
    taken from the grading run that started this worker (``RUN_STEP``)."""
    if os.environ.get(RUN_STEP):
        return float(os.environ[RUN_STEP])
    from ..speed import reference_step
    return reference_step()


@dataclass(frozen=True)
class Limits:
    step: float                  # seconds per reference step, measured by the grader
    floor: float                 # the fewest seconds a cell gets, whatever the machine
    ceiling: float               # the most

    @property
    def scale(self):
        """How much slower (> 1) or faster (< 1) this machine is than the stated one."""
        return self.step / SLOW_STEP

    def seconds(self, stated):
        """The limit in seconds here for a limit of ``stated`` seconds on the stated machine."""
        return min(self.ceiling, max(self.floor, stated * self.scale))

    def explain(self, stated):
        """One sentence: the limit applied here and why."""
        scaled = stated * self.scale
        bound = (" (the course's floor)" if scaled < self.floor
                 else " (the course's ceiling)" if scaled > self.ceiling else "")
        return (f"{self.seconds(stated):.0f} s{bound}: {stated} s on the course's reference machine "
                f"({1000 * SLOW_STEP:.1f} ms per reference step), scaled to this grading machine "
                f"({1000 * self.step:.1f} ms per step, measured when grading began)")
