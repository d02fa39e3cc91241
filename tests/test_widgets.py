"""Widgets driven headless: set values, let the asyncio task run, read the figure and the
messages that would go to the browser (a recording comm stands in for the kernel's)."""
import asyncio
import json
import time

import numpy as np
import pytest
import torch

from book.data import load_digits
from book.widgets import (BanditLab, CartPoleTrainer, CliffExplorer, ClippingExplorer, DQNTrainer,
                          GANArena, GatedRace, GradientFlowExplorer, GridworldPlanner,
                          MemoryDistanceExplorer, OptimizerRace, Playground, TSNEExplorer, VAEExplorer)
from book.widgets.training import MAX_POINTS, PLACEHOLDER
from book.widgets.tsne_explorer import validate
from built import plotly_array
from conftest import ceiling

WIDGETS = (GradientFlowExplorer, ClippingExplorer, GatedRace, OptimizerRace, Playground, BanditLab,
           CliffExplorer, CartPoleTrainer, GridworldPlanner, DQNTrainer, GANArena, VAEExplorer,
           MemoryDistanceExplorer)
TWO_STEPS = {CliffExplorer: dict(episodes=2), CartPoleTrainer: dict(episodes=2, batch=1),
             GridworldPlanner: dict(sweeps=2), DQNTrainer: dict(steps=16)}
NUMPY_ONLY = (BanditLab, CliffExplorer, GridworldPlanner)
HEAVIEST = [pytest.param(cls, settings, id=f"{cls.__name__}-{k}")
            for cls in WIDGETS for k, settings in enumerate(cls.HEAVIEST)]
SLICE_STEPS = 20          # a typical slice of work overshoots the loop's slice_seconds by at most this
                          # many reference steps (book.speed): measured up to 10 at the heaviest settings
STOP_SLACK_STEPS = 2      # the loop's own bookkeeping after the closing redraw
REDRAW_BYTES = 128_000     # the most one redraw may send, however long the run


@pytest.mark.parametrize("perplexity,n_samples,ok", [(30, 300, True), (1, 300, False),
                                                     (40, 100, False), (5, 20, False)])
def test_validate(perplexity, n_samples, ok):
    assert (validate(perplexity, n_samples) is None) == ok


def test_tsne_explorer_refuses_then_embeds_deterministically():
    X, y = load_digits()

    async def drive():
        explorer = TSNEExplorer(X, y, perplexity=10, n_samples=100)
        explorer.perplexity.value = 40          # 40 >= 100 / 3: refused, with a message
        assert "refused" in explorer.status.value
        assert all(len(trace.x) == 0 for trace in explorer.figure.data)
        explorer.perplexity.value = 12
        await explorer._task
        first = np.concatenate([np.asarray(trace.x) for trace in explorer.figure.data])
        assert len(first) == 100 and np.isfinite(first).all()
        assert "done" in explorer.status.value
        explorer.perplexity.value = 11          # a newer request cancels an older one
        explorer.perplexity.value = 12
        await explorer._task
        again = np.concatenate([np.asarray(trace.x) for trace in explorer.figure.data])
        assert np.array_equal(first, again), "same seed and values, same embedding"

    asyncio.run(drive())


def run(coroutine):
    return asyncio.run(coroutine)


def text(widget):
    """The status line as plain text."""
    import re
    return re.sub("<[^>]+>", "", widget.status.value)


def refuses(widget, control, value):
    """Train with ``control`` at ``value``: nothing starts and the status line says why; the
    control gets its value back."""
    old, control.value = control.value, value
    assert widget.train() is None and "refused" in widget.status.value, widget.status.value
    control.value = old


async def stops_when_asked(widget, steps):
    """Start a long run, try a second Train, press Stop: the run ends, a message says where."""
    widget.steps.value = steps
    task = widget.train()
    await asyncio.sleep(0.3)
    assert widget.train() is task and "already training" in widget.status.value
    widget.stop()
    await task
    assert "stopped at step" in widget.status.value


# ------------------------------------------------------------------ what goes to the browser

class Sent:
    """Every comm message the widgets send, as the kernel would: JSON plus binary buffers.
    ``per_redraw`` holds the bytes of each redraw (all messages sent inside one _draw)."""

    def __init__(self):
        self.messages, self.non_finite, self.per_redraw = [], [], []
        self._drawing = None

    def record(self, msg_type, data, buffers):
        try:
            size = len(json.dumps(data or {}, allow_nan=False))
        except ValueError:                               # NaN or infinity in the JSON part
            size = len(json.dumps(data or {}))
            self.non_finite.append(json.dumps(data)[:200])
        state = (data or {}).get("state", {})
        for path, buffer in zip((data or {}).get("buffer_paths", []), buffers or []):
            parent = state
            for key in path[:-1]:
                parent = parent[key]
            dtype = parent.get("dtype") if isinstance(parent, dict) else None
            if dtype and dtype.startswith(("float", "int", "uint")):
                values = np.frombuffer(buffer, dtype=dtype)
                if not np.isfinite(values).all():
                    self.non_finite.append(f"{path}: {values[~np.isfinite(values)][:5]}")
            size += memoryview(buffer).nbytes
        self.messages.append((msg_type, size))
        if self._drawing is not None:
            self._drawing[0] += size

    def watch(self, widget):
        """Count the bytes of every redraw of this widget."""
        draw = widget._draw

        def counted(run_):
            self._drawing = [0]
            try:
                draw(run_)
            finally:
                self.per_redraw.append(self._drawing[0])
                self._drawing = None
        widget._draw = counted
        return widget


@pytest.fixture
def sent(monkeypatch):
    import comm
    from comm.base_comm import BaseComm
    recorder = Sent()

    class RecordingComm(BaseComm):
        def publish_msg(self, msg_type, data=None, metadata=None, buffers=None, **keys):
            recorder.record(msg_type, data, buffers)

    monkeypatch.setattr(comm, "create_comm", lambda *args, **kwargs: RecordingComm(*args, **kwargs))
    return recorder


def trace_lengths(widget):
    """Points per line trace of every figure (heatmaps and contours excluded)."""
    return [len(trace.x) for fig in widget.figures for trace in fig.data
            if trace.type == "scatter" and trace.x is not None]


# ------------------------------------------------------------------ the shared loop

@pytest.mark.parametrize("cls", WIDGETS)
def test_before_the_first_run_a_hint_and_placeholders(cls):
    widget = cls()
    assert "press Train to start" in widget.status.value
    for fig in widget.figures:
        assert [a.text for a in fig.layout.annotations] == [PLACEHOLDER], fig.layout.title.text
    left = widget.widget.children[0]
    assert left.children[-1] is widget.status, "the status line sits under Train/Stop"
    assert widget.train_button in left.children[-2].children

    async def drive():
        for name, value in TWO_STEPS.get(cls, dict(steps=2)).items():
            getattr(widget, name).value = value
        await widget.train()
    run(drive())
    assert all(PLACEHOLDER not in [a.text for a in fig.layout.annotations] for fig in widget.figures)
    done = "done: 2 steps on cpu" + ("" if cls in NUMPY_ONLY else " (1 thread)")
    assert done in widget.status.value, widget.status.value


def test_training_runs_on_one_cpu_thread_and_restores_the_setting():
    before = torch.get_num_threads()
    seen = []

    async def drive():
        widget = Playground(steps=200)
        task = widget.train()
        await asyncio.sleep(0.01)                 # the task has started
        while not task.done():
            seen.append(torch.get_num_threads())
            await asyncio.sleep(0.01)
        assert "training on" in widget.status.value or "done" in widget.status.value
    run(drive())
    assert seen and set(seen) == {1}
    assert torch.get_num_threads() == before


class Stopwatch:
    """Times a widget's run as the loop lives it: when it yields to the kernel (the ends of
    its slices of work), when it rests (a paced run sleeps in naps of at most NAP seconds,
    serving the kernel) and how long each redraw takes."""
    NAP = 0.05

    def __init__(self, widget):
        self.yields, self.rests, self.draws = [], [], []
        breathe, rest, draw = widget._breathe, widget._rest, widget._draw

        async def timed_breathe():
            await breathe()
            self.yields.append(time.perf_counter())

        async def timed_rest(seconds):
            started = time.perf_counter()
            stopped = await rest(seconds)
            self.rests.append((started, time.perf_counter()))
            self.yields += self.rests[-1]
            return stopped

        def timed_draw(run_):
            started = time.perf_counter()
            draw(run_)
            self.draws.append((started, time.perf_counter() - started))
        widget._breathe, widget._rest, widget._draw = timed_breathe, timed_rest, timed_draw

    def slice_around(self, moment, start):
        """The time the loop may take to notice ``moment``: the slice of work it fell in, from
        the yield before it (or the run's start) to the first yield after it; a nap if it fell
        in a rest."""
        if any(a <= moment <= b for a, b in self.rests):
            return self.NAP
        before = [t for t in self.yields if t <= moment] or [start]
        after = [t for t in self.yields if t > moment]
        return (after[0] if after else float("inf")) - before[-1]

    def closing_redraw(self, moment):
        """Seconds of the redraw that ended the run after ``moment`` (none if it drew none)."""
        return sum(seconds for started, seconds in self.draws[-1:] if started > moment)

    def slices(self, start):
        """The slices of work: the times between two yields, rests left out."""
        ends = sorted({start, *self.yields})
        return [b - a for a, b in zip(ends, ends[1:]) if (a, b) not in self.rests] or [0.0]


@pytest.mark.parametrize("cls,settings", HEAVIEST)
def test_stop_ends_the_run_within_one_slice_and_one_redraw_at_the_heaviest_settings(
        cls, settings, reference_step):
    """A click on Stop arrives (a callback scheduled on the loop, as the kernel runs a comm
    message) while the heaviest allowed run trains. Counted from when the click was due (not
    from when the loop got round to it), the run must have ended within the slice of work the
    click fell in plus the closing redraw, both timed in this test: Stop is answered at the
    first yield. And the slices are short: the median one at most the loop's ``slice_seconds``
    plus SLICE_STEPS reference steps (the step in progress when the slice ran out, timed in
    the same run), so that on any machine Stop comes as fast as its speed allows.
    (``benchmarks/widgets.py`` prints the latencies in milliseconds.)"""
    latencies, allowed, typical = [], [], []

    async def press_stop_after(delay):
        widget = cls(**settings)
        watch = Stopwatch(widget)
        loop = asyncio.get_running_loop()
        task = widget.train()
        assert task is not None, widget.status.value
        started = time.perf_counter()
        click = {"due": loop.time() + delay}

        def press():
            click["perf"] = time.perf_counter() - (loop.time() - click["due"])
            widget.stop()
        loop.call_at(click["due"], press)
        await task
        assert "stopped at step" in widget.status.value, widget.status.value
        latencies.append(widget.ended_at - click["perf"])
        allowed.append(watch.slice_around(click["perf"], started)
                       + watch.closing_redraw(click["perf"]) + STOP_SLACK_STEPS * reference_step)
        typical.append(np.median(watch.slices(started)))

    for delay in (0.3, 0.47):          # two phases of a slice, after the first redraws (70 ms apart)
        run(press_stop_after(delay))
    print(f"{cls.__name__} {settings}: Stop latency {[round(1000 * x) for x in latencies]} ms, "
          f"allowed {[round(1000 * x) for x in allowed]} ms; median slice "
          f"{[round(float(x / reference_step), 1) for x in typical]} reference steps")
    assert all(latency <= bound for latency, bound in zip(latencies, allowed)), (latencies, allowed)
    assert max(typical) <= cls.slice_seconds + SLICE_STEPS * reference_step, (typical, reference_step)


def finish(stepper):
    """Drive a step given in parts to its end: (number of yields, its result)."""
    yields = 0
    while True:
        try:
            next(stepper)
            yields += 1
        except StopIteration as done:
            return yields, done.value


def test_a_step_in_parts_is_the_same_step():
    from book.rnn.train import Trainer
    kwargs = dict(kind="lstm", task="copy", length=20, gains=(0.5, 1.0, 3.0), clip=1.0)
    whole, parts, one = Trainer(**kwargs), Trainer(**kwargs), Trainer(**kwargs)
    for _ in range(3):
        loss, norms = whole.step()
        yields, (loss_parts, norms_parts) = finish(parts.step_in_parts(5))
        assert yields == 4
        np.testing.assert_allclose(loss_parts, loss, rtol=1e-5)
        np.testing.assert_allclose(norms_parts, norms, rtol=1e-4)
        yields, (loss_one, norms_one) = finish(one.step_in_parts(1))
        assert yields == 0 and np.array_equal(loss_one, loss) and np.array_equal(norms_one, norms)
    abandoned = Trainer(**kwargs)
    before = [p.detach().clone() for p in abandoned.model.parameters()]
    stepper = abandoned.step_in_parts(4)
    next(stepper)
    stepper.close()                              # Stop in the middle of a step: no update
    assert all(torch.equal(a, b) for a, b in zip(before, abandoned.model.parameters()))


def test_a_long_step_is_drawn_as_its_slices_arrive():
    """Inside a step split into slices, the gradient-flow explorer redraws the step's
    ||dL/dh_t|| estimated from the sequences done so far, and the gated race marks the loss
    so far of the contender in training: redraws with news at the slices' pace."""
    from book.rnn.train import Trainer
    trainer = Trainer(kind="lstm", task="adding", length=200, hidden_size=64)
    stepper = trainer.step_in_parts(4)
    next(stepper)
    partial = trainer.partial
    assert partial.seen == 8 and partial.grad_norms().shape == (200, 1)
    assert np.isfinite(partial.loss()).all()
    finish(stepper)
    assert trainer.partial is None, "no partial state once the step is over"

    flow = GradientFlowExplorer(cell="lstm", length=300, hidden_size=128, steps=2)
    race = GatedRace(task="adding", length=300, budget=50000, steps=1)
    titles, marked = [], []
    flow_draw, race_draw = flow._draw, race._draw      # read after each batched update

    def watch_flow(trainer):
        flow_draw(trainer)
        titles.append(flow.norm_figure.layout.title.text)

    def watch_race(trainers):
        race_draw(trainers)
        marked.append(tuple(race.figure.data[-1].x or ()))
    flow._draw, race._draw = watch_flow, watch_race
    flow.redraw_seconds = race.redraw_seconds = 0.0       # every slice

    async def drive():
        await flow.train()
        await race.train()
    run(drive())
    inside = [t for t in titles if "sequences" in t]
    assert len(inside) >= 4 and inside[0] == "||dL/dh_t|| of step 1, from 5 of 32 sequences", titles
    assert titles[-1] == "||dL/dh_t|| of step 2"
    assert (1.0,) in marked and marked[-1] == (), "the marker shows a step in progress, then goes"


LONG_RUNS = [
    (GradientFlowExplorer, dict(length=20, hidden_size=16, steps=700)),
    (GradientFlowExplorer, dict(length=30, hidden_size=16, steps=500, sweep=True)),
    (ClippingExplorer, dict(steps=500)),
    (GatedRace, dict(length=10, budget=400, steps=500)),
    (OptimizerRace, dict(steps=1500)),
    (Playground, dict(steps=1200)),
    (BanditLab, dict(runs=200, steps=3000)),
    (CliffExplorer, dict(episodes=1000)),
    (GridworldPlanner, dict(method="evaluate the random policy", sweeps=1000, pace=250.0)),
    (DQNTrainer, dict(steps=1200)),
]


@pytest.mark.parametrize("cls,settings", LONG_RUNS, ids=lambda v: getattr(v, "__name__", ""))
def test_redraws_send_bounded_finite_data_about_ten_times_a_second(cls, settings, sent, reference_step):
    """However long the run, one redraw sends at most MAX_POINTS points per trace (and
    REDRAW_BYTES in all), only finite numbers, every ``redraw_seconds`` (0.07 s) or as soon
    after as the step in progress ends: a typical gap between redraws is at most
    redraw_seconds plus a typical slice of work and a typical redraw, all timed in this test
    (about ten redraws a second at the course's sizes)."""
    widget = sent.watch(cls(**settings))
    watch = Stopwatch(widget)

    async def drive():
        await widget.train()
    started = time.perf_counter()
    run(drive())
    assert "done" in widget.status.value, widget.status.value
    assert max(trace_lengths(widget)) <= MAX_POINTS
    assert settings.get("steps", settings.get("episodes", settings.get("sweeps"))) > MAX_POINTS, "longer than the bound"
    assert not sent.non_finite, sent.non_finite[:3]
    assert max(sent.per_redraw) <= REDRAW_BYTES, max(sent.per_redraw)
    draws = [when for when, _ in watch.draws]
    print(f"{cls.__name__}: {len(draws)} redraws, largest {max(sent.per_redraw) / 1000:.1f} kB")
    if len(draws) >= 5:                        # the last redraw ends the run: not counted
        gap = np.median(np.diff(draws[:-1]))
        allowed = (widget.redraw_seconds + np.median(watch.slices(started))
                   + np.median([seconds for _, seconds in watch.draws]) + STOP_SLACK_STEPS * reference_step)
        print(f"  {1 / gap:.1f} redraws per second; typical gap {1000 * gap:.0f} ms, allowed {1000 * allowed:.0f} ms")
        assert gap <= allowed, (gap, allowed)


DIVERGING = [
    (GradientFlowExplorer, dict(cell="rnn", gain=5.0, learning_rate=100.0, length=100, steps=300)),
    (GradientFlowExplorer, dict(cell="lstm", gain=5.0, learning_rate=100.0, length=100, steps=300,
                                optimizer="adam")),
    (GradientFlowExplorer, dict(cell="rnn", learning_rate=100.0, length=100, steps=300, sweep=True)),
    (ClippingExplorer, dict(learning_rate=5.0, steps=500)),
    (GatedRace, dict(learning_rate=1.0, steps=400)),
    (Playground, dict(learning_rate=10.0, optimizer="adam", depth=8, width=128, steps=2000)),
    (OptimizerRace, dict(steps=2000)),
    (GANArena, dict(g_learning_rate=1.0, d_learning_rate=1.0, steps=2000)),
]


@pytest.mark.parametrize("cls,settings", DIVERGING, ids=lambda v: getattr(v, "__name__", ""))
def test_divergence_at_the_allowed_extremes_stops_the_run_with_a_message(cls, settings, sent):
    widget = cls(**settings)
    if cls is OptimizerRace:
        for box in widget.rates.values():
            box.value = 10.0                     # the largest allowed rate for every optimizer

    async def drive():
        return await widget.train()
    run(drive())
    status = text(widget)
    assert status.startswith("diverged at step"), status
    assert "—" in status and ("lower the learning rate" in status), status
    assert "#b00020" in widget.status.value, "shown as an error"
    step = int(status.split("diverged at step ")[1].split(":")[0].split(" ")[0])
    assert step < settings["steps"], "the run stopped there"
    assert not sent.non_finite, sent.non_finite[:3]


def test_clipping_explorer_reports_the_unclipped_path_blowing_up():
    widget = ClippingExplorer(learning_rate=5.0, steps=500)

    async def drive():
        await widget.train()
    run(drive())
    assert "(no clipping)" in text(widget)
    for trace in widget.surface.data[1:]:
        points = np.asarray(trace.x, dtype=float)
        assert np.isfinite(points).all() and np.abs(points).max() < 1e3


def test_gradient_flow_refuses_a_model_too_large_to_stop_quickly_and_says_the_range():
    from book.widgets.gradient_flow import largest_hidden
    explorer = GradientFlowExplorer(cell="lstm", length=500, hidden_size=512)
    assert explorer.train() is None
    largest = largest_hidden("lstm", "adding", 500)
    assert f"choose a value between 2 and {largest}" in text(explorer)
    assert 100 < largest < 512
    explorer.hidden_size.value = largest
    assert explorer.settings()["hidden_size"] == largest
    explorer.sweep.value = True
    explorer.hidden_size.value = 512
    assert explorer.train() is None and "a sweep of 8 LSTMs" in text(explorer)


# ------------------------------------------------------------------ each widget

def test_gradient_flow_explorer_trains_and_draws_finite_values():
    async def drive():
        explorer = GradientFlowExplorer(steps=25, length=20, hidden_size=16)
        await explorer.train()
        loss = np.asarray(explorer.loss_figure.data[0].y)
        heat = np.asarray(explorer.heatmap.data[0].z, dtype=float)
        now = np.asarray(explorer.norm_figure.data[0].y)
        assert len(loss) == 25 and np.isfinite(loss).all()
        assert heat.shape == (20, 25) and np.isfinite(heat).all()
        assert len(now) == 20 and (now > 0).all()
        assert "done: 25 steps on cpu" in explorer.status.value
        assert any(word in explorer.status.value for word in ("Healthy", "Vanishing", "Exploding"))
        assert explorer.heatmap.layout.title.text == "log10 ||dL/dh_t||, gain 1"
        return loss

    first, again = run(drive()), run(drive())
    assert np.array_equal(first, again), "same seed, same curves"


def test_gradient_flow_explorer_reports_divergence_and_stays_usable():
    async def drive():
        explorer = GradientFlowExplorer(steps=50, length=20, gain=3.0, learning_rate=50.0)
        await explorer.train()
        assert "diverged at step" in explorer.status.value
        explorer.learning_rate.value, explorer.gain.value = 0.01, 1.0
        await explorer.train()
        assert "done: 50 steps" in explorer.status.value

    run(drive())


def test_gradient_flow_explorer_refuses_invalid_values_and_a_second_run():
    async def drive():
        explorer = GradientFlowExplorer(steps=3000, length=20)
        for control, value in ((explorer.learning_rate, -1.0), (explorer.length, 100000),
                               (explorer.gain, 0.0), (explorer.hidden_size, 1)):
            refuses(explorer, control, value)
        await stops_when_asked(explorer, 3000)
        assert len(explorer.loss_figure.data[0].y) < 3000

    run(drive())


def test_gradient_flow_explorer_sweeps_gains_as_one_batched_model_and_labels_the_heatmap():
    from book.rnn.train import decay_rate

    async def drive():
        explorer = GradientFlowExplorer(steps=10, length=30, init="gaussian")
        explorer.sweep.value = True
        assert explorer.heat_gain.layout.display is None, "the heatmap's gain can be chosen"
        trainer = await explorer.train()
        assert trainer.n_models == 8 and len(explorer.norm_figure.data) == 8
        first_step = np.asarray(trainer.history.grad_norms[0])      # (T, 8)
        slopes = decay_rate(first_step)             # norms flushed to 0 are left out of the fit
        assert slopes[0] < slopes[-1], "small gains lose gradient faster going back in time"
        assert "gain 0.25: vanishing" in explorer.status.value
        assert explorer.heatmap.layout.title.text.startswith("log10 ||dL/dh_t||, gain 1 of the sweep's 8")
        shown = np.asarray(explorer.heatmap.data[0].z, dtype=float)
        explorer.heat_gain.value = "0.25"           # after the run: redrawn at once
        assert "gain 0.25" in explorer.heatmap.layout.title.text
        assert not np.array_equal(np.asarray(explorer.heatmap.data[0].z, dtype=float), shown)

    run(drive())


def test_clipping_explorer_bounds_the_clipped_steps_and_refuses_bad_values():
    async def drive():
        explorer = ClippingExplorer(learning_rate=0.3, clip=1.0, w=11.0, b=-0.5, steps=30)
        run = await explorer.train()
        free = np.array(run.paths["no clipping"])
        clipped = np.array(run.paths["clipped at 1"])
        assert len(free) == len(clipped) == 31
        assert np.linalg.norm(np.diff(clipped, axis=0), axis=1).max() <= 0.3 + 1e-9
        assert np.linalg.norm(np.diff(free, axis=0), axis=1).max() > 3
        np.testing.assert_allclose(np.asarray(explorer.surface.data[2].x), clipped[:, 0], rtol=1e-6)
        explorer.clip.value = -1.0
        assert explorer.train() is None and "refused" in explorer.status.value

    run(drive())


def test_gated_race_trains_all_contenders_on_equal_budgets():
    from book.rnn.train import hidden_for_budget

    async def drive():
        race = GatedRace(length=10, steps=15, budget=1500)
        trainers = await race.train()
        assert list(trainers) == ["tanh RNN", "GRU", "LSTM", "LSTM, chrono init"]
        sizes = [sum(p.numel() for p in t.model.parameters()) for t in trainers.values()]
        assert max(sizes) / min(sizes) < 1.15, sizes
        *curves, in_progress = race.figure.data                 # curves, baseline; the marker
        assert all(len(trace.y) > 0 and np.isfinite(trace.y).all() for trace in curves)
        assert not in_progress.x, "no step in progress once the race is over"
        assert "final relative loss" in race.status.value
        assert hidden_for_budget("lstm", 2, 1, 1500) < hidden_for_budget("rnn", 2, 1, 1500)
        race = GatedRace(length=10, steps=15, budget=1500, ncgru=True, taugru=True)   # the labs' cells
        trainers = await race.train()
        assert list(trainers)[-2:] == ["NC-GRU", "τ-GRU"] and len(race.figure.data) == 8
        sizes = [sum(p.numel() for p in t.model.parameters()) for t in trainers.values()]
        assert max(sizes) / min(sizes) < 1.15, sizes
        assert "NC-GRU" in race.status.value and "τ-GRU" in race.status.value

    run(drive())


def test_playground_trains_redraws_and_stops():
    async def drive():
        playground = Playground(dataset="moons", steps=400, seed=1)
        start = np.asarray(playground.boundary.data[0].z) if playground.boundary.data else None
        run_ = await playground.train()
        z = np.asarray(playground.boundary.data[0].z, dtype=float)
        assert start is None and z.shape == (60, 60) and np.isfinite(z).all()
        assert z.min() < 0.1 and z.max() > 0.9, "the boundary separates the classes"
        assert run_.accuracy("test") > 0.9
        assert playground.frames >= 2
        assert "held-out accuracy" in playground.status.value
        refuses(playground, playground.width, 0)
        await stops_when_asked(playground, 20000)

    run(drive())


def test_gan_arena_trains_the_generator_onto_the_ring_draws_and_stops():
    async def drive():
        arena = GANArena(steps=1500, seed=0)
        game = await arena.train()
        z = np.asarray(arena.plane.data[0].z, dtype=float)
        points = np.stack([np.asarray(arena.plane.data[2].x), np.asarray(arena.plane.data[2].y)], 1)
        assert np.isfinite(z).all() and points.shape == (300, 2)
        distance = np.abs(np.linalg.norm(points, axis=1) - 2).mean()
        assert distance < 0.3, "the generator's points lie near the circle of the data"
        assert "of the 8 modes" in arena.status.value and arena.frames >= 2
        assert len(game.d_losses) == 1500 and np.isfinite(game.d_losses).all()
        refuses(arena, arena.d_steps, 11)
        await stops_when_asked(arena, 20000)

    run(drive())


def test_vae_explorer_trains_decodes_the_chosen_point_at_once_and_stops():
    async def drive():
        explorer = VAEExplorer(steps=40, seed=0)
        explorer.z1.value = 5.0                       # before any run: nothing to decode, no error
        model = await explorer.train()
        assert model.reconstruction[-1] < explorer.no_code - 3, "the code carries information"
        assert "2 of 2 latent dimensions active" in explorer.status.value
        drawn = np.asarray(explorer.drawing.data[0].z, dtype=float)
        assert drawn.shape == (8, 8) and np.isfinite(drawn).all()
        explorer.z1.value, explorer.z2.value = -1.5, 1.0          # idle: decoded at once
        moved = np.asarray(explorer.drawing.data[0].z, dtype=float)
        with torch.no_grad():
            expected = model.decode(torch.tensor([[[-1.5, 1.0]]]))[0, 0].reshape(8, 8).numpy()[::-1]
        np.testing.assert_allclose(moved, expected, atol=1e-3)
        assert list(explorer.latent.data[-1].x) == [-1.5]
        refuses(explorer, explorer.beta, 25.0)
        await stops_when_asked(explorer, 500)

    run(drive())


def test_vae_explorer_retrained_with_a_large_beta_collapses_as_the_page_says():
    _, message = VAEExplorer().run_to_end(beta=8.0, steps=60)
    assert "0 of 2 latent dimensions active" in message, message


def test_gan_arena_shows_the_stalled_minimax_generator_of_the_page():
    """The page's experiment in the arena: minimax loss, gradient descent, a head start."""
    _, message = GANArena().run_to_end(loss="minimax", optimizer="sgd", g_learning_rate=0.02,
                                       head_start=300, steps=300)
    assert message.startswith("the generator covers 0 of the 8 modes"), message
    _, message = GANArena().run_to_end(loss="non-saturating", optimizer="sgd", g_learning_rate=0.02,
                                       head_start=300, steps=300)
    assert not message.startswith("the generator covers 0 "), message


def test_optimizer_race_draws_paths_survives_divergence_and_stops():
    async def drive():
        race_widget = OptimizerRace(surface="ravine", steps=60)
        race = await race_widget.train()
        paths = race_widget.paths.data[1:5]
        assert [trace.name for trace in paths] == ["sgd", "momentum", "rmsprop", "adam"]
        for trace in paths:
            assert len(trace.x) == 61 and np.isfinite(np.asarray(trace.x, dtype=float)).all()
        assert race.losses["adam"][-1] < race.losses["adam"][0]
        assert "final loss: sgd" in race_widget.status.value
        first = [list(trace.x) for trace in paths]

        race_widget.rates["sgd"].value = 1.0                     # SGD alone blows up
        race_widget.steps.value = 200
        race = await race_widget.train()
        assert race.diverged["sgd"] is not None and race.diverged["adam"] is None
        assert race_widget.paths.data[1].name.startswith("sgd (diverged at step")
        assert "sgd diverged at step" in race_widget.status.value
        assert len(race_widget.paths.data[4].x) == 201          # the others finished the race
        gone = np.asarray(race_widget.paths.data[1].y, dtype=float)
        assert np.abs(gone).max() < 20, "the point that left the race is not drawn"

        race_widget.surface.value = "rosenbrock"
        assert race_widget.rates["adam"].value == 0.1, "a new surface resets the rates"
        for name in race_widget.rates:         # a step of 9 leaves the window of width 4 at once
            race_widget.rates[name].value = 9.0
        race = await race_widget.train()
        assert all(race.diverged[name] == 1 for name in race.diverged)
        assert "every optimizer blew up" in race_widget.status.value

        race_widget.rates["sgd"].value = -1.0
        assert race_widget.train() is None and "refused" in race_widget.status.value

        race_widget.surface.value = "ravine"
        race_widget.steps.value = 60
        await race_widget.train()
        assert [list(trace.x) for trace in race_widget.paths.data[1:5]] == first, "same settings, same paths"
        await stops_when_asked(race_widget, 20000)

    run(drive())


def test_explorable_frames_are_the_widgets_own_runs():
    """The static figure's frames are the widget's runs: each slider step shows the shared
    surface once and its own paths, equal to a fresh run at that value; controls restored."""
    import plotly.graph_objects as go

    from book.widgets.static import explorable

    widget = ClippingExplorer()
    fig, runs = explorable(widget, "clip", [0.5, 2.0])
    slider = fig.layout.sliders[0]
    assert [step.label for step in slider.steps] == ["0.5", "2"]
    assert widget.clip.value == 1.0 and slider.active == 0
    assert sum(isinstance(trace, go.Contour) for trace in fig.data) == 1
    for value, step in zip((0.5, 2.0), slider.steps):
        shown = [t for t, visible in zip(fig.data, step.args[0]["visible"]) if visible]
        fresh = ClippingExplorer()
        fresh.run_to_end(clip=value)
        assert [t.name for t in shown[1:]] == ["no clipping", f"clipped at {value:g}"]
        for mine, theirs in zip(shown[1:], fresh.surface.data[1:]):
            np.testing.assert_array_equal(plotly_array(mine.x), plotly_array(theirs.x))
            np.testing.assert_array_equal(plotly_array(mine.y), plotly_array(theirs.y))
        assert f"clipped at {value:g}: longest step" in step.args[1]["title.text"]
    assert not np.array_equal(runs[0.5].paths["clipped at 0.5"], runs[2.0].paths["clipped at 2"])


def test_explorable_redraws_for_a_control_that_only_changes_the_drawing():
    from book.widgets.static import explorable

    widget = GradientFlowExplorer(steps=5, length=10)
    gains = ["0.5", "2"]
    fig, runs = explorable(widget, "heat_gain", gains, figure=1, drawn_only=True, sweep=True)
    assert runs["0.5"] is runs["2"], "trained once"
    assert widget.sweep.value is False, "controls restored"
    heatmaps = [t.z for t in fig.data]
    assert len(heatmaps) == 2 and str(heatmaps[0]) != str(heatmaps[1])
    assert [step.args[1]["title.text"].split(", ")[1].split(" of ")[0]
            for step in fig.layout.sliders[0].steps] == ["gain 0.5", "gain 2"]


def test_explorable_replays_one_run_as_the_runs_of_each_length():
    """``replay``: one run to the longest length, each frame cut at its step count, equals the
    figure and the summary of the widget's own run of that many steps."""
    import plotly

    from book.widgets.static import explorable, frame, without_browser

    settings = dict(length=10, budget=300)
    fig, runs = explorable(GatedRace, "steps", [4, 9], replay=True, **settings)
    assert [len(t.history.loss) for t in runs[4].values()] == [4] * 4
    assert [len(t.history.loss) for t in runs[9].values()] == [9] * 4
    for value, step in zip((4, 9), fig.layout.sliders[0].steps):
        with without_browser():
            fresh = GatedRace(**settings, steps=value)
        _, note = fresh.run_to_end()
        expected = frame(fresh.figure, note)
        shown = {t.name: t for t, visible in zip(fig.data, step.args[0]["visible"]) if visible}
        assert step.args[1]["title.text"] == expected["layout"]["title"]["text"]
        assert sorted(shown) == sorted(t["name"] for t in expected["data"])
        for theirs in expected["data"]:
            if theirs.get("y") is not None and len(theirs["y"]):
                mine = shown[theirs["name"]]
                np.testing.assert_array_equal(plotly_array(mine.y), plotly_array(theirs["y"]))
                np.testing.assert_array_equal(plotly_array(mine.x), plotly_array(theirs["x"]))


def test_plotly_code_travels_in_a_model_of_its_own_before_the_first_figure():
    """Plotly's browser code (5 MB, for front ends without the course's extension) goes once
    per kernel in a model of its own (``PlotlyCode``), opened before the first figure; every
    figure opens small. When the first figure carried the code in its opening message, a busy
    browser was still creating it when its layout arrived, which ipywidgets then dropped (a
    figure without title or text). Read from a real kernel's messages."""
    from jupyter_client.manager import start_new_kernel
    manager, client = start_new_kernel(kernel_name="python3")
    try:
        client.execute("from book.widgets.figure_widget import FigureWidget\n"
                       "first = FigureWidget(layout=dict(title='first'))\n"
                       "second = FigureWidget(layout=dict(title='second'))\n"
                       "print(FigureWidget._carrier.model_id, first.model_id, second.model_id)")
        messages, ids = [], None
        while True:
            msg = client.get_iopub_msg(timeout=ceiling(60))
            if msg["parent_header"].get("msg_type") != "execute_request":
                continue
            if msg["msg_type"] == "stream":
                ids = msg["content"]["text"].split()
            elif msg["msg_type"] in ("comm_open", "comm_msg"):
                messages.append((msg["content"]["comm_id"], msg["msg_type"],
                                 sum(memoryview(b).nbytes for b in msg.get("buffers") or [])))
            elif msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                break
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    carrier, first, second = ids
    opened = [comm for comm, kind, _ in messages if kind == "comm_open"]
    assert opened.index(carrier) < opened.index(first) < opened.index(second), opened
    assert max(size for comm, _, size in messages if comm == carrier) > 1_000_000
    assert max(size for comm, _, size in messages if comm in (first, second)) < 100_000


def test_a_static_frame_lists_no_trace_that_draws_nothing():
    """A live widget's marker of the step in progress is empty once a run has ended: its frame
    in the static figure keeps it (the trace order is the widget's) but out of the legend."""
    import plotly.graph_objects as go

    from book.widgets.static import frame
    fig = go.Figure([go.Scatter(x=[1, 2], y=[3, 4], name="loss"),
                     go.Scatter(x=[], y=[], mode="markers", name="step in progress (so far)")])
    curve, marker = frame(fig)["data"]
    assert marker["name"] == "step in progress (so far)" and marker["showlegend"] is False
    assert "showlegend" not in curve
    from book.plots import text_alternative
    fig.update_layout(title="t")
    assert "Series: loss." in text_alternative(frame(fig))
