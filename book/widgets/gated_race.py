"""The gated-cell race: tanh RNN, GRU and LSTM (default and chrono init) on the same task.

All contenders have about the same number of parameters and see the same batches; they take
one training step each per loop iteration, and the figure shows their loss relative to the
task's memoryless baseline (below 1: the network remembers).
"""
import numpy as np

from ..device import describe
from ..plots import PALETTE
from ..rnn import fused
from ..rnn.train import Trainer, hidden_for_budget
from .training import TrainingWidget, check_range, choice, figure, number

CONTENDERS = (("tanh RNN", "rnn", None), ("GRU", "gru", None), ("LSTM", "lstm", None),
              ("LSTM, chrono init", "lstm", "chrono"))


def race(task, length, budget, learning_rate, seed):
    """One Trainer per contender, all with about ``budget`` parameters."""
    probe = Trainer("rnn", task, length, 2, seed=seed)
    trainers = {}
    for name, kind, init in CONTENDERS:
        hidden = hidden_for_budget(kind, probe.task.input_size, probe.task.output_size, budget)
        trainers[name] = Trainer(kind, task, length, hidden, learning_rate, init="default",
                                 optimizer="adam", batch_size=64, seed=seed,
                                 chrono=length if init == "chrono" else None)
    return trainers


def relative_loss(trainer, window=20):
    """Loss over the memoryless baseline, smoothed over the last ``window`` steps."""
    loss = np.array(trainer.history.loss)[:, 0] / trainer.task.baseline
    kernel = np.ones(min(window, len(loss))) / min(window, len(loss))
    return np.convolve(loss, kernel, mode="valid")


class GatedRace(TrainingWidget):
    def __init__(self, task="adding", length=40, budget=2000, learning_rate=0.03, steps=400, seed=0):
        self.task = choice(["adding", "copy", "temporal order"], task, "task")
        self.length = number(int(length), "length / delay")
        self.budget = number(int(budget), "parameters")
        self.learning_rate = number(float(learning_rate), "learning rate")
        self.steps = number(int(steps), "training steps")
        self.seed = number(int(seed), "seed")
        self.figure = figure("loss / memoryless baseline", "training step", "relative loss",
                             height=420, width=600, log_y=True)
        super().__init__([self.task, self.length, self.budget, self.learning_rate, self.steps,
                          self.seed], [self.figure])
        fused.ops()         # load (or, once per machine, compile) the loops now, not at Train

    def settings(self):
        return dict(task=self.task.value,
                    length=check_range("length", self.length.value, 2, 300),
                    budget=check_range("parameters", self.budget.value, 100, 50000),
                    learning_rate=check_range("learning rate", self.learning_rate.value, 1e-5, 1.0),
                    seed=check_range("seed", self.seed.value, 0, 2**31 - 1),
                    steps=check_range("training steps", self.steps.value, 1, 5000))

    def make_run(self, settings):
        steps = settings.pop("steps")
        trainers = race(**settings)
        with self.figure.batch_update():
            self.figure.data = ()
            for k, name in enumerate(trainers):
                self.figure.add_scatter(x=[], y=[], mode="lines", name=name,
                                        line=dict(color=PALETTE[k]))
        return trainers, steps, describe(next(iter(trainers.values())).device)

    def step(self, trainers):
        for name, trainer in trainers.items():
            loss, _ = trainer.step()
            if not np.isfinite(loss).all():
                return f"diverged at step {trainer.steps} ({name}): lower the learning rate"
        return None

    def draw(self, trainers):
        with self.figure.batch_update():
            for trace, trainer in zip(self.figure.data, trainers.values()):
                y = relative_loss(trainer)
                trace.x, trace.y = np.arange(len(trainer.history.loss) - len(y) + 1,
                                             len(trainer.history.loss) + 1), y

    def summary(self, trainers):
        return "final relative loss: " + ", ".join(
            f"{name} {relative_loss(t)[-1]:.3f}" for name, t in trainers.items()) + "."
