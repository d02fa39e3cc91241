"""The memory-distance explorer: watch networks learn to repeat unrelated inputs k steps late.

Left: the cell (tanh RNN, GRU, LSTM), hidden units, the longest delay, learning rate, steps,
seed; Train and Stop. Right: R^2 on fresh sequences of the network for each delay 1..longest
(one network per delay, ``book.labs.memory``), redrawn as they train, with the 0.9 line of the
memory distance and a mark at k = H - 1, the delay a delay line of H units can reach; below, the
training loss (mean over the delays) beside 1, the loss of predicting 0. A step is one Adam step
of all the delays' networks at once. A loss 100 times that baseline, or a gradient norm beyond
1e6, stops the run as diverged.
"""
import numpy as np
import torch

from ..labs import memory
from ..plots import PALETTE
from .training import (TrainingWidget, check_range, choice, divergence, figure, gradient_norms, number,
                       set_curve)

CELLS = {"tanh RNN": "rnn", "GRU": "gru", "LSTM": "lstm"}


class MemoryDistanceExplorer(TrainingWidget):
    HEAVIEST = (dict(cell="LSTM", hidden_size=16, longest_delay=12, steps=3000),)

    def __init__(self, cell="GRU", hidden_size=8, longest_delay=10, learning_rate=0.01, steps=150, seed=0):
        self.cell = choice(CELLS, cell, "cell")
        self.hidden_size = number(int(hidden_size), "hidden units H")
        self.longest_delay = number(int(longest_delay), "longest delay")
        self.learning_rate = number(float(learning_rate), "learning rate")
        self.steps = number(int(steps), "steps")
        self.seed = number(int(seed), "seed")
        self.recall = figure("R² of the network for each delay k (fresh sequences)", "delay k", "R²",
                             height=300)
        self.recall.update_yaxes(range=[-0.05, 1.05])
        self.loss = figure("training loss (mean over the delays)", "step", "mean squared error", height=240)
        super().__init__([self.cell, self.hidden_size, self.longest_delay, self.learning_rate, self.steps,
                          self.seed], [self.recall, self.loss])

    def settings(self):
        return dict(kind=CELLS[self.cell.value],
                    hidden_size=check_range("hidden units H", self.hidden_size.value, 1, 16),
                    longest_delay=check_range("longest delay", self.longest_delay.value, 1, 12),
                    learning_rate=check_range("learning rate", self.learning_rate.value, 1e-5, 0.1),
                    steps=check_range("steps", self.steps.value, 1, 3000),
                    seed=check_range("seed", self.seed.value, 0, 2**31 - 1))

    def prepare(self, run, settings):
        delays = np.arange(1, settings["longest_delay"] + 1)
        with self.recall.batch_update(), self.loss.batch_update():
            self.recall.data = ()
            self.recall.add_scatter(x=delays, y=np.zeros(len(delays)), mode="lines+markers", name="R²",
                                    line=dict(color=PALETTE[0]))
            self.recall.add_scatter(x=[0.5, len(delays) + 0.5], y=[0.9, 0.9], mode="lines", name="R² = 0.9",
                                    line=dict(color="black", dash="dash", width=1))
            self.recall.add_scatter(x=[settings["hidden_size"] - 1] * 2, y=[0, 1], mode="lines",
                                    name=f"k = H - 1 = {settings['hidden_size'] - 1}: a delay line's reach",
                                    line=dict(color=PALETTE[1], dash="dot", width=1.5))
            self.recall.update_xaxes(range=[0.5, len(delays) + 0.5])
            self.loss.data = ()
            self.loss.add_scatter(x=[], y=[], mode="lines", name="training loss", line=dict(color=PALETTE[0]))
            self.loss.add_scatter(x=[1, settings["steps"]], y=[1, 1], mode="lines", name="predicting 0 (1.0)",
                                  line=dict(color="black", dash="dash", width=1))

    def make_run(self, settings):
        run = memory.DelayTraining(settings["kind"], settings["hidden_size"], range(1, settings["longest_delay"] + 1),
                                   lr=settings["learning_rate"], seed=settings["seed"])
        self.prepare(run, settings)
        return run, settings["steps"], torch.device("cpu")

    def step(self, run):
        loss = run.step().mean().item()
        return divergence(len(run.losses), loss, 1.0, gradient_norms(run.model.parameters()),
                          scale_name="predicting 0")

    def draw(self, run):
        r2 = memory.r2_score(run.model, batch_size=64)          # a quick estimate, redrawn often
        self.recall.data[0].y = np.round(np.clip(np.nan_to_num(r2, nan=-1.0), -1.0, 1.0), 4)
        set_curve(self.loss.data[0], run.losses)

    def summary(self, run):
        r2 = memory.r2_score(run.model)
        reach = memory.memory_distance(run.delays, r2)
        return (f"memory distance {reach} (R² ≥ 0.9 for every delay up to it) with "
                f"{run.model.hidden_size_each} units, after {len(run.losses)} steps; "
                f"R² at the longest delay {r2[-1]:.2f}")
