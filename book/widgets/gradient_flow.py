"""The gradient-flow explorer: train a small RNN and watch ||dL/dh_t|| vanish or explode.

Left: cell, recurrent initialization and gain (or a sweep of 8 gains trained as one batched
model), sequence length, task, optimizer, learning rate, clipping, hidden size, steps, seed,
and in a sweep which gain the heatmap shows; under Train/Stop the status line (device,
progress, refusals, divergence, and at the end a plain-words verdict from the measured decay
rate, ``book.rnn.train.verdict``). Right: the loss, a heatmap of log10 ||dL/dh_t|| over
(training step, time step), and the gradient norms of the current step (inside a long step,
estimated from the slices of the batch done so far, redrawn as each one arrives).

A training step is run in slices of the batch (``Trainer.step_in_parts``) sized so that each
takes well under 100 ms (``part_ms`` <= ``PART_MS``, a cost model measured on a 2-core CPU); a model so
large that a single sequence would take longer is refused, and the message gives the range.
"""
import ipywidgets as widgets
import numpy as np

from ..data.sequences import TASKS
from ..plots import PALETTE
from ..rnn import fused
from ..rnn.cells import GATES
from ..rnn.train import INITS, Trainer, decay_rate, verdict
from .training import (Refused, TrainingWidget, check_range, choice, divergence, envelope,
                       figure, gradient_norms, number, set_curve, Growing)

SWEEP_GAINS = (0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0)
HEAT_COLUMNS, HEAT_ROWS = 80, 64     # heatmap cells sent: training steps x time steps, strided
PART_MS = 60                          # estimated milliseconds per part of a training step
BATCH = 32


def part_ms(kind, length, hidden, models=1, batch=1, inputs=2):
    """Estimated CPU milliseconds (one thread) of forward and backward through time for
    ``batch`` sequences: a fixed cost per time step (the step-by-step loops launch a few
    dozen small tensor operations), element-wise work and the matrix products. Fitted on a
    2-core AMD EPYC server (within a factor 1.6 of 130 measurements), with a margin of 1.7."""
    g = GATES[kind]
    work = models * batch * length * g * hidden
    return 1.7 * (0.028 * length + 0.0011 * length * models * g + 1.3e-5 * work
                  + 1.0e-7 * work * (hidden + inputs))


def parts_for(kind, length, hidden, models, batch, inputs):
    """The fewest slices of the batch whose parts fit ``PART_MS``."""
    for parts in range(1, batch + 1):
        if part_ms(kind, length, hidden, models, -(-batch // parts), inputs) <= PART_MS:
            return parts
    return batch


def fits(kind, task, length, hidden, models=1):
    """Whether one sequence (the smallest part of a step) fits ``PART_MS``."""
    return part_ms(kind, sequence_length(task, length), hidden, models, 1,
                   TASKS[task](length).input_size) <= PART_MS


def largest_hidden(kind, task, length, models=1, most=512):
    """The largest hidden size allowed for this cell, task, length and number of models
    (None when even 2 units do not fit)."""
    return max((h for h in range(2, most + 1) if fits(kind, task, length, h, models)), default=None)


def sequence_length(task, length):
    """Time steps of a task's sequences (the copy task adds 5 symbols and 5 answers)."""
    return length + 10 if task == "copy" else length


class GradientFlowExplorer(TrainingWidget):
    draw_between_parts = True     # a long step's slices build up ||dL/dh_t||: drawn as they come
    HEAVIEST = (        # the heaviest allowed settings: tests and benchmarks/widgets.py run them
        dict(cell="lstm", length=500, hidden_size=largest_hidden("lstm", "adding", 500), steps=5000),
        dict(cell="lstm", length=500, hidden_size=largest_hidden("lstm", "adding", 500, 8),
             sweep=True, steps=5000),
        dict(cell="gru", task="copy", length=500, hidden_size=largest_hidden("gru", "copy", 500, 8),
             sweep=True, steps=5000),
        dict(cell="rnn", length=500, hidden_size=512, steps=5000))

    def __init__(self, cell="rnn", init="orthogonal", gain=1.0, length=50, task="adding",
                 learning_rate=0.01, clip=0.0, steps=200, seed=0, hidden_size=32, optimizer="sgd",
                 sweep=False):
        self.cell = choice(["rnn", "gru", "lstm"], cell, "cell")
        self.init = choice(list(INITS), init, "W_hh init")
        self.gain = number(float(gain), "gain")
        self.sweep = widgets.Checkbox(bool(sweep), description="sweep 8 gains (0.25 to 2)",
                                      indent=False)
        self.length = number(int(length), "sequence length")
        self.task = choice(["adding", "copy", "temporal order"], task, "task")
        self.optimizer = choice(["sgd", "adam"], optimizer, "optimizer")
        self.learning_rate = number(float(learning_rate), "learning rate")
        self.clip = number(float(clip), "clip norm (0: off)")
        self.hidden_size = number(int(hidden_size), "hidden size")
        self.steps = number(int(steps), "training steps")
        self.seed = number(int(seed), "seed")
        self.heat_gain = choice([f"{g:g}" for g in SWEEP_GAINS], "1", "heatmap shows gain")
        self.heat_gain.layout.display = None if sweep else "none"
        self.sweep.observe(self._sweep_changed, names="value")
        self.heat_gain.observe(self._heat_gain_changed, names="value")
        self.loss_figure = figure("loss", "training step", "loss", log_y=True)
        self.heatmap = figure("log10 ||dL/dh_t||", "training step", "time step t", height=280)
        self.norm_figure = figure("||dL/dh_t|| now", "time step t", "gradient norm", log_y=True)
        super().__init__([self.cell, self.init, self.gain, self.sweep, self.heat_gain,
                          self.length, self.task, self.optimizer, self.learning_rate, self.clip,
                          self.hidden_size, self.steps, self.seed],
                         [self.loss_figure, self.heatmap, self.norm_figure])
        fused.ops()         # load (or, once per machine, compile) the loops now, not at Train

    def _sweep_changed(self, change):
        self.heat_gain.layout.display = None if change["new"] else "none"

    def _heat_gain_changed(self, _change):
        if self.run is not None and not self.running and self.run.n_models > 1:
            with self.heatmap.batch_update():
                self._draw_heatmap(self.run)

    # ----------------------------------------------------------------- hooks
    def settings(self):
        kind, task = self.cell.value, self.task.value
        gains = SWEEP_GAINS if self.sweep.value else (check_range("gain", self.gain.value, 0.01, 5.0),)
        length = check_range("sequence length", self.length.value, 2, 500)
        hidden = check_range("hidden size", self.hidden_size.value, 2, 512)
        settings = dict(kind=kind, init=self.init.value, gains=gains, task=task, length=length,
                        learning_rate=check_range("learning rate", self.learning_rate.value, 1e-6, 100.0),
                        clip=check_range("clip norm", self.clip.value, 0.0, 1e6) or None,
                        hidden_size=hidden, optimizer=self.optimizer.value,
                        seed=check_range("seed", self.seed.value, 0, 2**31 - 1),
                        steps=check_range("training steps", self.steps.value, 1, 5000))
        models = len(gains)
        if not fits(kind, task, length, hidden, models):
            name = {"rnn": "tanh RNN", "gru": "GRU", "lstm": "LSTM"}[kind]
            what = f"a sweep of 8 {name}s" if models > 1 else f"{'an' if kind == 'lstm' else 'a'} {name}"
            why = "so that each part of a training step stays short enough for Stop to answer at once"
            largest = largest_hidden(kind, task, length, models)
            if largest:
                raise Refused(f"hidden size = {hidden} refused for {what} over {length} steps: "
                              f"choose a value between 2 and {largest} (or a shorter sequence), {why}")
            longest = max(n for n in range(2, 501) if fits(kind, task, n, 2, models))
            raise Refused(f"sequence length = {length} refused for {what}: choose a value "
                          f"between 2 and {longest}, {why}")
        inputs = TASKS[task](length).input_size
        settings["parts"] = parts_for(kind, sequence_length(task, length), hidden, models, BATCH,
                                      inputs)
        return settings

    def make_run(self, settings):
        steps, parts = settings.pop("steps"), settings.pop("parts")
        trainer = Trainer(**settings, batch_size=BATCH)
        trainer.parts = parts
        self._losses = Growing()
        self._gone = {}                       # model -> step at which it diverged
        self._scale = None
        labels = [f"gain {g:g}" for g in trainer.gains]
        time_steps = np.arange(sequence_length(settings["task"], settings["length"]))
        chosen, options = self.heat_gain.value, [f"{g:g}" for g in trainer.gains]
        if list(self.heat_gain.options) != options:
            self.heat_gain.options = options
        self.heat_gain.value = chosen if chosen in options else options[len(options) // 2 - 1 if
                                                                        len(options) > 1 else 0]
        with self.loss_figure.batch_update(), self.norm_figure.batch_update(), \
                self.heatmap.batch_update():
            self._time_steps = envelope(len(time_steps))      # strided, fixed for the run
            for fig in (self.loss_figure, self.norm_figure):
                fig.data = ()
                for k, label in enumerate(labels):
                    fig.add_scatter(x=self._time_steps.astype(np.float32) if fig is self.norm_figure
                                    else [], y=[], mode="lines", name=label,
                                    line=dict(color=PALETTE[k % len(PALETTE)]))
            baseline = TASKS[settings["task"]](settings["length"]).baseline
            self.loss_figure.add_scatter(x=[1, steps], y=[baseline] * 2, mode="lines",
                                         name="trivial baseline", line=dict(color="black",
                                                                            dash="dash", width=1))
            self.heatmap.data = ()
            self.heatmap.add_heatmap(z=[[0.0]], x=[0], y=[0], colorscale="Viridis",
                                     colorbar=dict(title="log10"))
            self.heatmap.update_yaxes(range=[-0.5, time_steps[-1] + 0.5])
        return trainer, steps, trainer.device

    def step(self, trainer):
        loss, _ = yield from trainer.step_in_parts(trainer.parts)
        if self._scale is None:          # the task's scale: its baseline or the first loss
            baseline = trainer.task.baseline
            self._scale = np.where(np.isfinite(loss), np.maximum(baseline, loss), baseline)
        norms = gradient_norms(trainer.model.parameters(), trainer.n_models)
        advice = "lower the learning rate or clip" if trainer.clip is None else \
            "lower the learning rate or the clip norm"
        for k in range(trainer.n_models):
            if k in self._gone:
                continue
            scale_name = "the baseline" if self._scale[k] == trainer.task.baseline else \
                "its first loss"
            message = divergence(trainer.steps, loss[k], self._scale[k],
                                 None if trainer.clip else norms[k], advice=advice,
                                 who=None if trainer.n_models == 1 else f"gain {trainer.gains[k]:g}",
                                 scale_name=scale_name)
            if message:
                self._gone[k] = (trainer.steps, message)
        if len(self._gone) == trainer.n_models:
            if trainer.n_models == 1:
                return self._gone[0][1]
            return f"diverged at step {trainer.steps}: every gain diverged — {advice}"
        return None

    def _heat_model(self, trainer):
        if trainer.n_models == 1:
            return 0
        return [f"{g:g}" for g in trainer.gains].index(self.heat_gain.value)

    def _draw_heatmap(self, trainer):
        k = self._heat_model(trainer)
        norms = trainer.history.grad_norms
        columns = envelope(len(norms), None, HEAT_COLUMNS)
        rows = envelope(len(norms[0]), None, HEAT_ROWS)
        picked = np.stack([np.asarray(norms[i], dtype=float)[rows, k] for i in columns])
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.log10(np.clip(np.nan_to_num(picked, nan=1e38, posinf=1e38), 1e-38, 1e38))
        self.heatmap.data[0].update(x=(columns + 1).astype(np.int32), y=rows.astype(np.int32),
                                    z=np.round(z.T, 2))
        gain = f"gain {trainer.gains[k]:g}"
        which = f"{gain} of the sweep's 8" if trainer.n_models > 1 else gain
        self.heatmap.layout.title = f"log10 ||dL/dh_t||, {which}"

    def _draw_norms(self, norms, title):
        """The current ||dL/dh_t|| per time step (T, K), clipped into float32's range."""
        norms = np.asarray(norms, dtype=float)[self._time_steps]
        norms = np.clip(np.nan_to_num(norms, nan=1e38, posinf=1e38), 1e-38, 1e38)
        for k, now in enumerate(self.norm_figure.data):
            now.y = norms[:, k].astype(np.float32)                     # x is fixed for the run
        self.norm_figure.layout.title = title

    def draw(self, trainer):
        partial = trainer.partial
        if partial is not None:              # inside a step: its slices so far, as they arrive
            norms = partial.grad_norms()
            if norms is not None:
                self._draw_norms(norms, f"||dL/dh_t|| of step {trainer.steps + 1}, from "
                                        f"{partial.seen} of {partial.batch_size} sequences")
            return
        loss = self._losses.update(trainer.history.loss)                 # (steps, K)
        self._draw_norms(trainer.history.grad_norms[-1], f"||dL/dh_t|| of step {trainer.steps}")
        for k, (curve, now) in enumerate(zip(self.loss_figure.data, self.norm_figure.data)):
            end = self._gone[k][0] if k in self._gone else len(loss)   # under/overflow shown at it
            set_curve(curve, loss[:end, k], positive=True)
            if k in self._gone and trainer.n_models > 1:
                label = f"gain {trainer.gains[k]:g} (diverged at step {self._gone[k][0]})"
                curve.name = now.name = label
        self._draw_heatmap(trainer)

    def summary(self, trainer):
        norms = trainer.history.grad_norms[-1]
        slopes = decay_rate(norms)
        words = [verdict(s, trainer.length) for s in slopes]
        if len(words) == 1:
            return words[0].capitalize() + "."
        return "; ".join(f"gain {g:g}: " + (f"diverged at step {self._gone[k][0]}" if k in self._gone
                                             else w.split(':')[0])
                         for k, (g, w) in enumerate(zip(trainer.gains, words))) + "."
