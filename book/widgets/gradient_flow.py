"""The gradient-flow explorer: train a small RNN and watch ||dL/dh_t|| vanish or explode.

Left: cell, recurrent initialization and gain (or a sweep of 8 gains trained as one batched
model), sequence length, task, optimizer, learning rate, clipping, hidden size, steps, seed.
Right: the loss, a heatmap of log10 ||dL/dh_t|| over (training step, time step), and the
current per-step gradient norms. Under them: device, progress and a plain-words verdict
from the measured decay rate (``book.rnn.train.verdict``).
"""
import ipywidgets as widgets
import numpy as np

from ..device import describe
from ..plots import PALETTE, log10_heat
from ..rnn import fused
from ..rnn.train import INITS, Trainer, decay_rate, verdict
from .training import TrainingWidget, check_range, choice, figure, number

SWEEP_GAINS = (0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0)
MAX_COLUMNS = 300          # heatmap columns drawn (training steps are subsampled beyond)


class GradientFlowExplorer(TrainingWidget):
    def __init__(self, cell="rnn", init="orthogonal", gain=1.0, length=50, task="adding",
                 learning_rate=0.01, clip=0.0, steps=200, seed=0, hidden_size=32, optimizer="sgd"):
        self.cell = choice(["rnn", "gru", "lstm"], cell, "cell")
        self.init = choice(list(INITS), init, "W_hh init")
        self.gain = number(float(gain), "gain")
        self.sweep = widgets.Checkbox(False, description="sweep 8 gains (0.25 to 2)", indent=False)
        self.length = number(int(length), "sequence length")
        self.task = choice(["adding", "copy", "temporal order"], task, "task")
        self.optimizer = choice(["sgd", "adam"], optimizer, "optimizer")
        self.learning_rate = number(float(learning_rate), "learning rate")
        self.clip = number(float(clip), "clip norm (0: off)")
        self.hidden_size = number(int(hidden_size), "hidden size")
        self.steps = number(int(steps), "training steps")
        self.seed = number(int(seed), "seed")
        self.loss_figure = figure("loss", "training step", "loss", log_y=True)
        self.heatmap = figure("log10 ||dL/dh_t||", "training step", "time step t", height=280)
        self.heatmap.add_heatmap(z=[[0.0]], colorscale="Viridis", colorbar=dict(title="log10"))
        self.norm_figure = figure("||dL/dh_t|| now", "time step t", "gradient norm", log_y=True)
        super().__init__([self.cell, self.init, self.gain, self.sweep, self.length, self.task,
                          self.optimizer, self.learning_rate, self.clip, self.hidden_size,
                          self.steps, self.seed],
                         [self.loss_figure, self.heatmap, self.norm_figure])
        fused.ops()         # load (or, once per machine, compile) the loops now, not at Train

    def settings(self):
        gains = SWEEP_GAINS if self.sweep.value else (check_range("gain", self.gain.value, 0.01, 5.0),)
        return dict(kind=self.cell.value, init=self.init.value, gains=gains, task=self.task.value,
                    length=check_range("sequence length", self.length.value, 2, 500),
                    learning_rate=check_range("learning rate", self.learning_rate.value, 1e-6, 100.0),
                    clip=check_range("clip norm", self.clip.value, 0.0, 1e6) or None,
                    hidden_size=check_range("hidden size", self.hidden_size.value, 2, 512),
                    optimizer=self.optimizer.value,
                    seed=check_range("seed", self.seed.value, 0, 2**31 - 1),
                    steps=check_range("training steps", self.steps.value, 1, 5000))

    def make_run(self, settings):
        steps = settings.pop("steps")
        trainer = Trainer(**settings)
        labels = [f"gain {g:g}" for g in trainer.gains]
        with self.loss_figure.batch_update(), self.norm_figure.batch_update():
            for fig in (self.loss_figure, self.norm_figure):
                fig.data = ()
                for k, label in enumerate(labels):
                    fig.add_scatter(x=[], y=[], mode="lines", name=label,
                                    line=dict(color=PALETTE[k % len(PALETTE)]))
        return trainer, steps, describe(trainer.device)

    def step(self, trainer):
        loss, _ = trainer.step()
        if not np.isfinite(loss).any():
            return (f"diverged at step {trainer.steps}: lower the learning rate or clip "
                    f"the gradient norm")
        return None

    def draw(self, trainer):
        loss = np.array(trainer.history.loss)                     # (steps, K)
        norms = np.array(trainer.history.grad_norms)              # (steps, T, K)
        steps = np.arange(1, len(loss) + 1)
        columns = np.unique(np.linspace(0, len(steps) - 1, min(len(steps), MAX_COLUMNS)).astype(int))
        heat = log10_heat(norms[columns, :, 0])
        with self.loss_figure.batch_update(), self.heatmap.batch_update(), \
                self.norm_figure.batch_update():
            for k, trace in enumerate(self.loss_figure.data):
                trace.x, trace.y = steps, np.where(np.isfinite(loss[:, k]), loss[:, k], np.nan)
            self.heatmap.data[0].update(x=steps[columns], y=np.arange(norms.shape[1]), z=heat)
            for k, trace in enumerate(self.norm_figure.data):
                trace.x, trace.y = np.arange(norms.shape[1]), norms[-1, :, k]

    def summary(self, trainer):
        norms = trainer.history.grad_norms[-1]
        slopes = decay_rate(norms)
        words = [verdict(s, trainer.length) for s in slopes]
        if len(words) == 1:
            return words[0].capitalize() + "."
        return "; ".join(f"gain {g:g}: {w.split(':')[0]}" for g, w in zip(trainer.gains, words)) + "."
