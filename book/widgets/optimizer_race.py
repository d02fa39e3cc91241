"""The optimizer race: SGD, momentum, RMSProp and Adam on one loss surface, paths drawn live.

Left: the surface, a learning rate per optimizer (reset to values that work when the surface
changes), steps, seed (seed 0 starts exactly at the surface's start, others nearby). Right: the
contour of the loss with each optimizer's path, and each optimizer's loss per step. An optimizer
that diverges (its loss overflows or passes 100 times its starting loss, or its point is thrown
ten windows away) drops out with a note; the race goes on for the others, and stops when all
have dropped out. Every path and loss curve is sent as at most ``MAX_POINTS`` points.
"""
import math

import numpy as np
import torch

from ..nn import OPTIMIZERS
from ..nn.race import SURFACES, Race
from .. import plots
from ..plots import PALETTE
from .training import (LOSS_FACTOR, Growing, TrainingWidget, check_range, choice, figure, number,
                       set_curve, thin)


def out_of_bounds(race, name):
    """Whether an optimizer's last point left the race: not finite, ten windows away from
    the plotted one, or a loss beyond LOSS_FACTOR times the starting loss (at least 1)."""
    point, loss = race.paths[name][-1], race.losses[name][-1]
    surface = race.surface
    for value, (low, high) in zip(point, (surface.x_range, surface.y_range)):
        width = high - low
        if not (low - 10 * width <= value <= high + 10 * width):
            return True
    return not math.isfinite(loss) or abs(loss) > LOSS_FACTOR * max(abs(race.losses[name][0]), 1.0)


class OptimizerRace(TrainingWidget):
    HEAVIEST = (dict(steps=20000),)

    def __init__(self, surface="rosenbrock", steps=500, seed=0):
        self.surface = choice(SURFACES, surface, "surface")
        self.rates = {name: number(float(SURFACES[surface].learning_rates[name]), f"lr {name}")
                      for name in OPTIMIZERS}
        self.steps = number(int(steps), "steps")
        self.seed = number(int(seed), "seed")
        self.surface.observe(self._surface_changed, names="value")
        self.paths = figure("paths on the loss surface", "x", "y", height=420, width=480)
        self.loss_figure = figure("loss", "step", height=260, width=480)
        super().__init__([self.surface, *self.rates.values(), self.steps, self.seed],
                         [self.paths, self.loss_figure])

    def _surface_changed(self, change):
        for name, box in self.rates.items():
            box.value = float(SURFACES[change["new"]].learning_rates[name])

    def settings(self):
        rates = {name: check_range(f"lr {name}", box.value, 1e-6, 10.0)
                 for name, box in self.rates.items()}
        return dict(surface=self.surface.value, learning_rates=rates,
                    seed=check_range("seed", self.seed.value, 0, 2**31 - 1),
                    steps=check_range("steps", self.steps.value, 1, 20000))

    def make_run(self, settings):
        steps = settings.pop("steps")
        race = Race(**settings)
        race.mirrors = {name: (Growing(), Growing()) for name in OPTIMIZERS}
        with self.paths.batch_update(), self.loss_figure.batch_update():
            self.paths.data = ()
            self.paths.add_traces(plots.race_traces(race))
            self.paths.update_xaxes(range=race.surface.x_range)
            self.paths.update_yaxes(range=race.surface.y_range)
            self.loss_figure.data = ()
            for colour, name in zip(PALETTE, OPTIMIZERS):
                self.loss_figure.add_scatter(x=[], y=[], mode="lines", name=name,
                                             line=dict(color=colour))
            start = next(iter(race.losses.values()))[0]    # the loss of not moving: the line to beat
            self.loss_figure.add_scatter(x=[0, steps], y=[start, start], mode="lines",
                                         name=f"the start ({start:.3g})",
                                         line=dict(color="black", dash="dash", width=1))
            self.loss_figure.update_yaxes(type="log" if race.surface.positive else "linear")
        return race, steps, torch.device("cpu")

    def step(self, race):
        race.step()
        for name in OPTIMIZERS:
            if race.diverged[name] is None and out_of_bounds(race, name):
                race.diverged[name] = race.steps        # out of the race: Race skips it
        if all(k is not None for k in race.diverged.values()):
            return (f"diverged at step {race.steps}: every optimizer blew up — "
                    f"lower the learning rates")
        return None

    def draw(self, race):
        for k, name in enumerate(OPTIMIZERS):
            paths, losses = race.mirrors[name]
            path = paths.update(race.paths[name])
            loss = losses.update(race.losses[name])
            gone = race.diverged[name]
            if gone is not None:            # the point that left the race is not drawn
                path, loss = path[:min(gone, len(path))], loss[:min(gone, len(loss))]
            label = race.label(name)
            trace = self.paths.data[1 + k]
            path = thin(path)
            trace.x, trace.y, trace.name = path[:, 0], path[:, 1], label
            curve = self.loss_figure.data[k]
            set_curve(curve, loss, x=np.arange(len(loss)), positive=race.surface.positive)
            curve.name = label

    def summary(self, race):
        parts = [f"{name} diverged at step {race.diverged[name]}" if race.diverged[name]
                 else f"{name} {race.losses[name][-1]:.3g}" for name in OPTIMIZERS]
        return "final loss: " + ", ".join(parts) + "."
