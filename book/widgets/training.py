"""The one training loop every live widget shares: checked controls, Train/Stop, a status line.

A widget subclasses ``TrainingWidget`` and writes five small hooks; the loop does the rest.

    settings(self) -> dict
        Read the controls and check them (``check_range``); raise ``Refused(message)`` for a
        value the model cannot survive, or that would make one part of a step too long for
        Stop to answer quickly (say the range that is allowed in the message).
    make_run(self, settings) -> (run, n_steps, device)
        Build the model (the "run") and the figures' empty traces. ``device`` is a
        ``torch.device`` or a short string; the status line names it, with the CPU threads.
    step(self, run) -> None | str | FINISHED | generator
        Advance one training step. Return None, or a message if the run diverged
        (``divergence`` words it), or ``FINISHED`` when nothing is left to learn (a planner
        that converged): the run ends there as done. A step that can take long is a
        generator instead: it ``yield``s between parts (a slice of the batch, one model of
        several), the loop may serve the kernel or stop there, and it ``return``s None or the
        message at the end.
        Keep every part well under 100 ms at the heaviest allowed settings. Set the class
        attribute ``draw_between_parts`` when a part leaves something new to draw. A part
        that yields a number of seconds asks the loop to rest that long, serving the kernel
        (a paced demonstration: steps so fast that nobody could watch them); ``run_to_end``
        does not wait.
    draw(self, run)
        Update the figures. The loop calls it inside one batched update per figure, at most
        every ``redraw_seconds``; send bounded data (``set_curve`` / ``thin``: at most
        ``MAX_POINTS`` points per trace, finite values only).
    summary(self, run) -> str
        Plain words for the status line when the run completes.

How the loop keeps the kernel responsive. ipykernel 7 receives shell messages (a click on
Stop, a slider moved: ``comm_msg``) on a thread of its own and hands them to the main thread's
asyncio loop, where handling one takes several turns of the loop (socket read, stream
callback, the dispatch task). ``await asyncio.sleep(0)`` gives other tasks one turn only: a
click then waits 3 to 4 yields (measured: 180 ms with 50 ms of work between yields, 690 ms
with 200 ms). So the loop works in slices of at most ``slice_seconds`` (as many steps, or
parts of a step, as fit) and then sleeps ``yield_seconds`` of real time, in which every
callback that becomes ready runs: a click is handled at the next yield, Stop ends the run
there (measured in a kernel with 10 ms to 200 ms of work between yields: a click waits
about half a slice). The model trains on ``cpu_threads`` CPU threads, the course's
``book.threads.CPU_THREADS`` (1 unless ``COURSE_CPU_THREADS`` says otherwise), live and in
``run_to_end`` alike, whatever the kernel set meanwhile; the setting is restored when the
last running widget finishes. During a run the objects that existed before it are kept out of the garbage collector's full scans
(one costs ~300 ms with torch, plotly and ipywidgets loaded).

How the loop keeps the browser responsive. Every redraw sends at most ``MAX_POINTS`` points
per trace, so its size does not grow with the run. A plotly view answers each update once it
has drawn it; while a figure's last update is unanswered (for at most ``answer_seconds``) the
loop skips redraws, so a slow browser gets fewer frames instead of a queue of them that would
delay the status line (and Stop) by seconds. A figure no view has ever answered (no browser,
or headless tests) is redrawn every ``redraw_seconds``.

Divergence is reported as students read it: a loss that overflows or passes ``LOSS_FACTOR``
times the task's scale, or a gradient norm beyond ``GRADIENT_LIMIT``, stops the run with "diverged
at step k: ... — lower the learning rate or clip", and no value that is not a number reaches
plotly.
"""
import asyncio
import contextlib
import gc
import inspect
import sys
import time

import ipywidgets as widgets
import numpy as np

from ..plots import decade_step
from ..stepping import exhaust
from ..threads import CPU_THREADS
from .figure_widget import FigureWidget

STYLE = {"description_width": "110px"}
MAX_POINTS = 400            # points per trace sent to the browser, however long the run
LOSS_FACTOR = 100           # a loss this many times the task's scale: diverged
GRADIENT_LIMIT = 1e6        # a gradient norm beyond this: diverged
PLACEHOLDER = "no run yet: press Train"


def number(value, label):
    """A text box for a float (FloatText) or an int (IntText); values are checked on Train."""
    box = widgets.FloatText if isinstance(value, float) else widgets.IntText
    return box(value, description=label, style=STYLE)


def choice(options, value, label):
    return widgets.Dropdown(options=list(options), value=value, description=label, style=STYLE)


def figure(title, xaxis="", yaxis="", height=260, width=560, log_y=False):
    """An empty live figure with the widgets' common layout."""
    fig = FigureWidget(layout=dict(title=title, height=height, width=width,
                                      template="plotly_white", margin=dict(l=60, r=10, t=40, b=40),
                                      xaxis_title=xaxis, yaxis_title=yaxis))
    if log_y:
        fig.update_yaxes(type="log", exponentformat="power")  # decade ticks: set at each redraw
    return fig


def placeholder(fig, text=PLACEHOLDER):
    """Write ``text`` across the middle of a figure (before the first run)."""
    fig.layout.annotations = [dict(text=text, showarrow=False, xref="paper", yref="paper",
                                   x=0.5, y=0.5, font=dict(size=15, color="#777"))]


class Refused(ValueError):
    """A control holds a value the model cannot survive; the message says why."""


def check_range(name, value, low, high):
    if not low <= value <= high:
        raise Refused(f"{name} = {value} refused: choose a value between {low} and {high}")
    return value


# ---------------------------------------------------------------- bounded figure data

def envelope(n, values=None, max_points=MAX_POINTS):
    """Indices of at most ``max_points`` of n points: all of them when they fit, else, in
    each of max_points/2 equal buckets, the smallest and the largest value (so that a curve's
    spikes survive), in order. Without ``values``: evenly strided, the last point included."""
    if n <= max_points:
        return np.arange(n)
    if values is None:
        return np.unique(np.linspace(0, n - 1, max_points).round().astype(int))
    buckets = max_points // 2
    width = -(-n // buckets)
    padded = np.full(buckets * width, np.nan)
    padded[:n] = np.where(np.isfinite(values), values, np.nan)
    rows = padded.reshape(buckets, width)
    keep = np.isfinite(rows).any(axis=1)
    rows = np.where(np.isfinite(rows), rows, np.inf)
    low = rows.argmin(axis=1)
    high = np.where(np.isfinite(rows), rows, -np.inf).argmax(axis=1)
    starts = np.arange(buckets) * width
    pairs = np.sort(np.stack([starts + low, starts + high], axis=1), axis=1)[keep]
    return np.unique(np.minimum(pairs.ravel(), n - 1))


def set_curve(trace, y, x=None, positive=False, max_points=MAX_POINTS):
    """Give a line trace at most ``max_points`` finite points of (x, y) (x: 1, 2, ... when not
    given), as float32: bounded messages, and no NaN or infinity for plotly to choke on.
    (``positive``: only values > 0, for a log axis.) Fewer than 10 points get markers."""
    y = np.asarray(y, dtype=float).ravel()
    x = np.arange(1, len(y) + 1) if x is None else np.asarray(x, dtype=float).ravel()
    ok = np.isfinite(y) & (np.abs(y) < 1e30) & ((y > 0) if positive else True)
    x, y = x[ok], y[ok]
    keep = envelope(len(y), y, max_points)
    trace.x, trace.y = x[keep].astype(np.float32), y[keep].astype(np.float32)
    trace.mode = "lines+markers" if len(keep) < 10 else "lines"     # one point shows too


def thin(points, max_points=MAX_POINTS):
    """At most ``max_points`` rows of an (n, d) array of points, evenly strided, first and
    last kept, float32."""
    points = np.asarray(points, dtype=float)
    return points[envelope(len(points), None, max_points)].astype(np.float32)


class Growing:
    """A numpy copy of a list that only grows (a run's history), updated incrementally:
    ``update(items)`` converts only the items added since the last call."""

    def __init__(self):
        self.buffer, self.n = None, 0

    def update(self, items):
        new = items[self.n:]
        if new:
            block = np.asarray(new, dtype=float)
            if self.buffer is None:
                self.buffer = np.empty((max(64, 2 * len(block)), *block.shape[1:]))
            elif self.n + len(block) > len(self.buffer):
                grown = np.empty((2 * (self.n + len(block)), *self.buffer.shape[1:]))
                grown[:self.n] = self.buffer[:self.n]
                self.buffer = grown
            self.buffer[self.n:self.n + len(block)] = block
            self.n += len(block)
        return self.buffer[:self.n] if self.buffer is not None else np.empty(0)


def divergence(step, loss=None, scale=None, grad_norm=None, who="",
               advice="lower the learning rate or clip", scale_name="the baseline"):
    """The status message when a run diverged, or None: a loss or gradient norm that is not
    a number, a loss beyond ``LOSS_FACTOR`` times the task's ``scale`` (its baseline, or the
    loss it started from), a gradient norm beyond ``GRADIENT_LIMIT``."""
    where = f"diverged at step {step}" + (f" ({who})" if who else "")
    if loss is not None and not np.isfinite(loss):
        return f"{where}: the loss overflowed — {advice}"
    if loss is not None and scale and loss > LOSS_FACTOR * scale:
        return f"{where}: loss {loss / scale:.0f}× {scale_name} — {advice}"
    if grad_norm is not None and not np.isfinite(grad_norm):
        return f"{where}: the gradient overflowed — {advice}"
    if grad_norm is not None and grad_norm > GRADIENT_LIMIT:
        return f"{where}: gradient norm {grad_norm:.0e}, beyond {GRADIENT_LIMIT:.0e} — {advice}"
    return None


def gradient_norms(parameters, n_models=None):
    """The gradient norm of the parameters (per model, when they carry a model axis)."""
    import torch
    grads = [p.grad for p in parameters if p.grad is not None]
    if n_models:
        return torch.stack([g.reshape(n_models, -1).double().pow(2).sum(1)
                            for g in grads]).sum(0).sqrt().cpu().numpy()
    return float(torch.stack([g.double().pow(2).sum() for g in grads]).sum().sqrt())


# ---------------------------------------------------------------- threads

_process = {"running": 0, "saved": None, "frozen": 0}   # shared by all widgets


@contextlib.contextmanager
def no_full_collections():
    """Keep the objects that exist when a run starts out of the garbage collector's scans
    until it ends (``gc.freeze``). The half million objects torch, plotly and ipywidgets
    keep make one full collection cost about 300 ms of CPU, and one can fall in the middle of
    any step; objects are still freed as usual when nothing refers to them."""
    first = _process.get("frozen", 0) == 0
    _process["frozen"] = _process.get("frozen", 0) + 1
    if first:
        gc.freeze()
    try:
        yield
    finally:
        _process["frozen"] -= 1
        if _process["frozen"] == 0:
            gc.unfreeze()


@contextlib.contextmanager
def torch_threads(n):
    """torch on ``n`` CPU threads while at least one widget trains; restored afterwards.
    Torch is set only where a widget has imported it: the tabular widgets train with numpy."""
    torch = sys.modules.get("torch")
    if torch is None:
        yield n
        return
    if _process["running"] == 0:
        _process["saved"] = torch.get_num_threads()
    _process["running"] += 1
    torch.set_num_threads(n)
    try:
        yield n
    finally:
        _process["running"] -= 1
        if _process["running"] == 0:
            torch.set_num_threads(_process["saved"])


_STOPPED = object()
FINISHED = object()           # a step's answer: converged, the run ends early as done


class TrainingWidget:
    redraw_seconds = 0.07      # up to 14 redraws per second, each one batched update
    slice_seconds = 0.03       # work between two yields to the kernel
    yield_seconds = 0.001      # real sleep per yield: the kernel handles waiting messages
    answer_seconds = 1.0       # wait at most this long for a browser to draw the last update
    draw_between_parts = False # True: a step's parts change the figures (several models)
    cpu_threads = CPU_THREADS

    def __init__(self, controls, figures):
        self.train_button = widgets.Button(description="Train", button_style="success", icon="play")
        self.stop_button = widgets.Button(description="Stop", button_style="danger", icon="stop")
        self.status = widgets.HTML(layout=widgets.Layout(width="320px", min_height="40px"))
        self.train_button.on_click(lambda _: self.train())
        self.stop_button.on_click(lambda _: self.stop())
        self.figures = list(figures)
        left = widgets.VBox([*controls, widgets.HBox([self.train_button, self.stop_button]),
                             self.status], layout=widgets.Layout(min_width="330px"))
        self.widget = widgets.HBox([left, widgets.VBox(self.figures)])
        self.widget.add_class("training-widget")         # for the browser tests
        self.status.add_class("training-status")
        for fig in self.figures:
            placeholder(fig)
        self._watch_views()
        self._task = None
        self._stop = False
        self.run = None
        self.frames = 0                 # redraws of the last run
        self.first_draw_seconds = None  # from Train to the first redraw
        self.stop_requested_at = None   # time.perf_counter() of the last Stop
        self.ended_at = None            # time.perf_counter() when the last run ended
        self.say("press Train to start")

    # ----------------------------------------------------------- subclass hooks
    def settings(self):
        """Read and validate the controls; raise Refused with a message."""
        raise NotImplementedError

    def make_run(self, settings):
        """Return (run object, number of steps, device)."""
        raise NotImplementedError

    def step(self, run):
        """Advance one step: None, a divergence message, or a generator of parts."""
        raise NotImplementedError

    def draw(self, run):
        """Update the figures (called inside batched updates)."""
        raise NotImplementedError

    def summary(self, run):
        return ""

    def prepare(self, run, settings):
        """Set up the figures for a run of these settings (``show``); widgets whose
        ``make_run`` sets up the figures for its run implement it."""
        raise NotImplementedError(f"{type(self).__name__} cannot show a run trained elsewhere")

    def after(self, run, n_steps):
        """The run as a run of ``n_steps`` training steps would have ended (for ``explorable``'s
        replay of one run); widgets whose runs can be cut short implement it."""
        raise NotImplementedError(f"{type(self).__name__} cannot replay a run")

    # ----------------------------------------------------------- behaviour
    def run_to_end(self, **values):
        """Set controls (``name=value``) and train to the end at once, without the kernel
        loop: for figures computed when the book builds, and for tests. Returns the run and
        the final status message (a divergence, or the summary). On ``cpu_threads`` threads,
        as a live run: the same numbers."""
        settings = self._set(values)
        with torch_threads(self.cpu_threads), no_full_collections():
            run, n_steps, _ = self.make_run(settings)
            self.run, outcome = run, None
            for _ in range(n_steps):
                result = self.step(run)
                if inspect.isgenerator(result):
                    result = exhaust(result)
                if result is FINISHED:
                    break
                if result:
                    outcome = result
                    break
            self._started = time.perf_counter()
            self._draw(run)
        return run, outcome or self.summary(run)

    def show(self, run, **values):
        """Set controls (``name=value``) and draw ``run``, trained elsewhere with these settings
        (e.g. agents of a page's lockstep run, ``dqn.DQNRun.select``), as ``run_to_end`` would
        have drawn it; returns the summary."""
        self.prepare(run, self._set(values))
        self.run, self._started = run, time.perf_counter()
        self._draw(run)
        return self.summary(run)

    def _set(self, values):
        """Set controls (``name=value``), clear the figures' placeholders; the settings."""
        for name, value in values.items():
            getattr(self, name).value = value
        settings = self.settings()
        for fig in self.figures:
            fig.layout.annotations = ()
        return settings

    def _ipython_display_(self):
        from IPython.display import display
        display(self.widget)

    def say(self, text, error=False):
        colour = "#b00020" if error else "#333"
        weight = "bold" if error else "normal"
        self.status.value = (f"<div style='color:{colour};font-weight:{weight};line-height:1.3;"
                             f"white-space:normal'>{text}</div>")

    @property
    def running(self):
        return self._task is not None and not self._task.done()

    def train(self):
        """Start a run (returns its asyncio task), or refuse with a message."""
        if self.running:
            self.say("already training: press Stop first", error=True)
            return self._task
        try:
            settings = self.settings()
        except Refused as refusal:
            self.say(str(refusal), error=True)
            return None
        self._stop = False
        self._task = asyncio.ensure_future(self._loop(settings))
        return self._task

    def stop(self):
        """Ask the run to end; it does at its next yield (within a slice of work)."""
        if self.running and not self._stop:
            self.stop_requested_at = time.perf_counter()
        self._stop = True

    def where(self, device, threads):
        if isinstance(device, str):
            return device
        from ..device import describe
        where = describe(device)
        return f"cpu ({threads} thread{'s' if threads > 1 else ''})" if where == "cpu" else where

    def _watch_views(self):
        """Count the answers of the figures' views: after each update a plotly view replies
        with ``_js2py_traceDeltas`` once it has drawn it. (Its layout answer never reaches
        Python in plotly 6 and 7: the browser sends it under another name.)"""
        self._views = {}
        for fig in self.figures:
            state = self._views[id(fig)] = {"answers": 0, "sent": 0.0}

            def answered(change, state=state):
                if change["new"]:
                    state["answers"] += 1
            fig.observe(answered, names=["_js2py_traceDeltas"])

    def _browser_ready(self, now):
        """Whether every figure's view has drawn the last update (or none has ever answered:
        no browser shows it, nothing to wait for). At most one update per figure is then on
        its way: a slow browser gets fewer redraws instead of a backlog that delays Stop."""
        for fig in self.figures:
            state = self._views[id(fig)]
            pending = getattr(fig, "_trace_edit_in_process", False)
            if pending and state["answers"] and now - state["sent"] < self.answer_seconds:
                return False
        return True

    async def _breathe(self):
        await asyncio.sleep(self.yield_seconds)
        self._last_yield = time.perf_counter()

    async def _rest(self, seconds):
        """Sleep ``seconds`` in short naps, serving the kernel; True if Stop came meanwhile."""
        end = time.perf_counter() + seconds
        while not self._stop and (left := end - time.perf_counter()) > 0:
            await asyncio.sleep(min(left, 0.05))
        self._last_yield = time.perf_counter()
        return self._stop

    async def _through(self, parts):
        """Run a step given as a generator of parts, yielding to the kernel between parts
        when the slice is spent; _STOPPED if Stop came in the middle. A long step shows
        its progress in the status line."""
        count = 0
        while True:
            try:
                rest = next(parts)
            except StopIteration as done:
                return done.value
            count += 1
            if isinstance(rest, (int, float)) and not isinstance(rest, bool) and rest > 0:
                if await self._rest(rest):
                    parts.close()
                    return _STOPPED
            now = time.perf_counter()
            where, done, n_steps = self._progress
            if self.draw_between_parts and now - self._last_draw >= self.redraw_seconds:
                self._redraw(self.run, f"training on {where} — step {done}/{n_steps}", now)
            elif now - self._last_status >= 0.5:
                self.say(f"training on {where} — step {done}/{n_steps}, "
                         f"part {count} of step {done + 1}")
                self._last_status = now
            if time.perf_counter() - self._last_yield >= self.slice_seconds:
                await self._breathe()
                if self._stop:
                    parts.close()
                    return _STOPPED

    def _redraw(self, run, status, now):
        """A frame: the figures (unless the browser is still drawing the last ones) and the
        status line."""
        if self._browser_ready(now):
            self._draw(run)
        self.say(status)
        self._last_draw = self._last_status = now

    def _draw(self, run):
        with contextlib.ExitStack() as batch:
            for fig in self.figures:
                batch.enter_context(fig.batch_update())
            self.draw(run)
        for fig in self.figures:              # log axes read as powers of ten, as in the book
            if fig.layout.yaxis.type == "log":  # (read after the batch: it holds the new data)
                step = decade_step([t.y for t in fig.data if t.type == "scatter" and t.y is not None])
                if fig.layout.yaxis.dtick != step:
                    fig.layout.yaxis.dtick = step
        now = time.perf_counter()
        for fig in self.figures:
            self._views[id(fig)]["sent"] = now
        self.frames += 1
        if self.first_draw_seconds is None:
            self.first_draw_seconds = time.perf_counter() - self._started

    async def _loop(self, settings):
        self._started = self._last_yield = time.perf_counter()
        self.frames, self.first_draw_seconds, self.ended_at = 0, None, None
        try:
            return await self._train(settings)
        except Exception as error:          # shown, not lost in the kernel's log
            self.say(f"error: {type(error).__name__}: {error}", error=True)
            raise
        finally:
            self.ended_at = time.perf_counter()

    async def _train(self, settings):
        with torch_threads(self.cpu_threads) as threads, no_full_collections():
            for fig in self.figures:
                fig.layout.annotations = ()
            run, n_steps, device = self.make_run(settings)
            self.run = run
            where = self.where(device, threads)
            self.say(f"training on {where} — step 0/{n_steps}")
            done, outcome, finished, self._last_draw = 0, None, False, 0.0
            self._last_status = time.perf_counter()
            while done < n_steps and not self._stop:
                self._progress = (where, done, n_steps)
                result = self.step(run)
                if inspect.isgenerator(result):
                    result = await self._through(result)
                if result is _STOPPED:
                    break
                if result is FINISHED:
                    done, finished = done + 1, True
                    break
                if result:
                    outcome = result
                    break
                done += 1
                now = time.perf_counter()
                if now - self._last_draw >= self.redraw_seconds and done < n_steps:
                    self._redraw(run, f"training on {where} — step {done}/{n_steps}", now)
                if time.perf_counter() - self._last_yield >= self.slice_seconds:
                    await self._breathe()
            if done:                  # the last redraw first: when the status line says the
                self._draw(run)       # run has ended, the figures show where it ended
            if outcome:
                self.say(outcome, error=True)
            elif finished:
                self.say(f"done after {done} of {n_steps} steps on {where}. {self.summary(run)}")
            elif done < n_steps:
                self.say(f"stopped at step {done}/{n_steps} (on {where})")
            else:
                self.say(f"done: {n_steps} steps on {where}. {self.summary(run)}")
        return run
