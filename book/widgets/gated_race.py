"""The gated-cell race: tanh RNN, GRU and LSTM (default and chrono init) on the same task, and,
on request, the NC-GRU and the tau-GRU of the research labs (a GRU whose candidate weight stays
orthogonal; a gated cell that also reads its state of 10 steps ago).

All contenders have about the same number of parameters and draw their batches from the same
seeded stream (the chrono LSTM draws its biases from it first); they take one training step
each per loop iteration, and the figure shows their loss relative to the task's memoryless
baseline (below 1: the network remembers). Inside a long step an open circle
shows the loss of the contender in training so far, from the slices of the batch it has done. Each contender's step is run in
slices of the batch short enough for Stop to answer at once (``gradient_flow.part_ms``). A
contender whose loss overflows or passes 100 times the baseline (or the loss it started
from) has diverged: the race stops and says which.
"""
import ipywidgets as widgets
import numpy as np

from ..plots import PALETTE
from ..rnn import fused
from ..rnn.train import race
from .gradient_flow import parts_for, sequence_length
from .training import (Growing, TrainingWidget, check_range, choice, divergence, figure, number,
                       set_curve)

BATCH = 64


def relative_loss(trainer, window=20, loss=None):
    """Loss over the memoryless baseline, smoothed over the last ``window`` steps."""
    loss = (np.array(trainer.history.loss)[:, 0] if loss is None else loss) / trainer.task.baseline
    kernel = np.ones(min(window, len(loss))) / min(window, len(loss))
    return np.convolve(loss, kernel, mode="valid")


def scale(trainer):
    """What a contender's loss is measured against: the task's baseline, or its first loss if
    that was higher (and finite)."""
    first = float(trainer.history.loss[0][0])
    return max(trainer.task.baseline, first) if np.isfinite(first) else trainer.task.baseline


class GatedRace(TrainingWidget):
    HEAVIEST = (dict(task="copy", length=300, budget=50000, steps=5000, ncgru=True, taugru=True),
                dict(task="adding", length=300, budget=50000, steps=5000, ncgru=True, taugru=True))
    draw_between_parts = True           # each contender's step is news

    def __init__(self, task="adding", length=40, budget=2000, learning_rate=0.03, steps=300, seed=0,
                 ncgru=False, taugru=False):
        self.task = choice(["adding", "copy", "temporal order"], task, "task")
        self.length = number(int(length), "length / delay")
        self.budget = number(int(budget), "parameters")
        self.learning_rate = number(float(learning_rate), "learning rate")
        self.steps = number(int(steps), "training steps")
        self.seed = number(int(seed), "seed")
        self.ncgru = widgets.Checkbox(bool(ncgru), description="also race the NC-GRU (orthogonal W_hn)",
                                      style={"description_width": "initial"})
        self.taugru = widgets.Checkbox(bool(taugru), description="also race the τ-GRU (delay 10)",
                                       style={"description_width": "initial"})
        self.figure = figure("loss / memoryless baseline", "training step", "relative loss",
                             height=420, width=600, log_y=True)
        super().__init__([self.task, self.length, self.budget, self.learning_rate, self.steps,
                          self.seed, self.ncgru, self.taugru], [self.figure])
        fused.ops()         # load (or, once per machine, compile) the loops now, not at Train

    def settings(self):
        return dict(task=self.task.value,
                    length=check_range("length", self.length.value, 2, 300),
                    budget=check_range("parameters", self.budget.value, 100, 50000),
                    learning_rate=check_range("learning rate", self.learning_rate.value, 1e-5, 1.0),
                    seed=check_range("seed", self.seed.value, 0, 2**31 - 1),
                    steps=check_range("training steps", self.steps.value, 1, 5000),
                    also=tuple(name for name, box in (("NC-GRU", self.ncgru), ("τ-GRU", self.taugru))
                               if box.value))

    def make_run(self, settings):
        trainers = race(**{k: v for k, v in settings.items() if k != "steps"}, batch_size=BATCH)
        self.prepare(trainers, settings)
        return trainers, settings["steps"], next(iter(trainers.values())).device

    def prepare(self, trainers, settings):
        time_steps = sequence_length(settings["task"], settings["length"])
        for trainer in trainers.values():
            cell = trainer.model.recurrent.cell
            trainer.parts = parts_for(trainer.kind, time_steps, cell.hidden_size, 1, BATCH,
                                      trainer.task.input_size)
            trainer.losses = Growing()
        with self.figure.batch_update():
            self.figure.data = ()
            for k, name in enumerate(trainers):
                self.figure.add_scatter(x=[], y=[], mode="lines", name=name,
                                        line=dict(color=PALETTE[k]))
            self.figure.add_scatter(x=[1, settings["steps"]], y=[1, 1], mode="lines",
                                    name="memoryless baseline",
                                    line=dict(color="black", dash="dash", width=1))
            self.figure.add_scatter(x=[], y=[], mode="markers", name="step in progress (so far)",
                                    marker=dict(size=9, symbol="circle-open", line=dict(width=2)))

    def after(self, trainers, n_steps):
        return {name: trainer.until(n_steps) for name, trainer in trainers.items()}

    def step(self, trainers):
        for k, (name, trainer) in enumerate(trainers.items()):
            if k:
                yield                               # a contender's step is a part of its own
            loss, _ = yield from trainer.step_in_parts(trainer.parts)
            loss = float(loss[0])
            against = scale(trainer)
            message = divergence(trainer.steps, loss, against, who=name,
                                 advice="lower the learning rate",
                                 scale_name="the memoryless baseline" if
                                 against == trainer.task.baseline else "its first loss")
            if message:
                return message
        return None

    def draw(self, trainers):
        for trace, trainer in zip(self.figure.data, trainers.values()):
            if len(trainer.history.loss) == trainer.losses.n:       # nothing new: nothing sent
                continue
            loss = trainer.losses.update(trainer.history.loss)[:, 0]
            y = relative_loss(trainer, loss=loss)
            set_curve(trace, y, x=np.arange(len(loss) - len(y) + 1, len(loss) + 1), positive=True)
        progress = self.figure.data[-1]      # the contender inside its step: its loss so far
        running = [(k, t) for k, t in enumerate(trainers.values()) if t.partial is not None]
        if running:
            k, trainer = running[0]
            loss = float(trainer.partial.loss()[0]) / trainer.task.baseline
            progress.x, progress.y = [trainer.steps + 1], [loss if np.isfinite(loss) and loss > 0 else None]
            progress.marker.color = PALETTE[k]
        elif progress.x:
            progress.x, progress.y = [], []

    def summary(self, trainers):
        worse = [name for name, t in trainers.items()
                 if relative_loss(t)[-1] * t.task.baseline > 2 * scale(t)]
        note = (f" {', '.join(worse)} ended above twice {'its' if len(worse) == 1 else 'their'} "
                f"first loss: the learning rate is too high for {'it' if len(worse) == 1 else 'them'}."
                if worse else "")
        return "final relative loss: " + ", ".join(
            f"{name} {relative_loss(t)[-1]:.3f}" for name, t in trainers.items()) + "." + note
