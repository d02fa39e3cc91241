"""The optimizer race: SGD, momentum, RMSProp and Adam from one start on one loss surface.

Every surface is a loss of two parameters (x, y), written with broadcasting torch operations
so that the same function gives the race its gradients and the plot its contour grid:

    rosenbrock     (1 - x)^2 + 100 (y - x^2)^2         a long curved valley; minimum at (1, 1)
    ravine         (x^2 + 50 y^2) / 2                   condition number 50; minimum at (0, 0)
    saddle         x^2 - y^2 + y^4 / 4 + 0.1 x y        a saddle at 0, minima near y = +-1.4
    tiny network   mean (w2 tanh(w1 t) - tanh(1.5 t))^2 a real network: one tanh unit with
                                                        input weight w1 = x, output weight w2 = y
"""
import math
from dataclasses import dataclass

import numpy as np
import torch

from .optimizers import OPTIMIZERS

_T = torch.linspace(-2, 2, 41)


def _tiny_network(x, y):
    t = _T.to(x.dtype)
    return ((y[..., None] * torch.tanh(x[..., None] * t) - torch.tanh(1.5 * t)) ** 2).mean(-1)


@dataclass(frozen=True)
class Surface:
    loss: object
    start: tuple
    x_range: tuple
    y_range: tuple
    learning_rates: dict      # a rate per optimizer at which each makes progress without diverging
    positive: bool = True     # loss > 0 everywhere: plotted on a log scale


SURFACES = {
    "rosenbrock": Surface(lambda x, y: (1 - x) ** 2 + 100 * (y - x * x) ** 2, (-1.5, 2.0),
                          (-2, 2), (-1, 3),
                          dict(sgd=1e-3, momentum=1e-3, rmsprop=3e-2, adam=0.1)),
    "ravine": Surface(lambda x, y: (x * x + 50 * y * y) / 2, (-4.0, 1.0), (-5, 5), (-1.5, 1.5),
                      dict(sgd=0.035, momentum=0.01, rmsprop=0.05, adam=0.1)),
    "saddle": Surface(lambda x, y: x * x - y * y + y ** 4 / 4 + 0.1 * x * y, (-2.0, 1e-3),
                      (-2.5, 2.5), (-2.5, 2.5),
                      dict(sgd=0.05, momentum=0.01, rmsprop=0.02, adam=0.05), positive=False),
    "tiny network": Surface(_tiny_network, (-0.5, 2.5), (-3, 3), (-3, 3),
                            dict(sgd=0.3, momentum=0.05, rmsprop=0.02, adam=0.05)),
}


class Race:
    """One point per optimizer, all starting at the surface's start; ``step`` moves them all.

    An optimizer whose loss stops being finite is out of the race (``diverged[name]`` holds the
    step); the others go on.
    """

    def __init__(self, surface="rosenbrock", learning_rates=None, seed=0):
        self.surface = SURFACES[surface]
        rates = {**self.surface.learning_rates, **(learning_rates or {})}
        jitter = np.random.default_rng(seed).normal(0, 0.05, 2) if seed else np.zeros(2)
        start = torch.tensor(self.surface.start, dtype=torch.float64) + torch.from_numpy(jitter)
        self.points = {name: start.clone().requires_grad_() for name in OPTIMIZERS}
        self.optimizers = {name: OPTIMIZERS[name]([p], lr=rates[name])
                           for name, p in self.points.items()}
        self.start = start.tolist()
        self.paths = {name: [self.start] for name in OPTIMIZERS}
        self.losses = {name: [self._loss(start).item()] for name in OPTIMIZERS}
        self.diverged = {name: None for name in OPTIMIZERS}
        self.steps = 0
        self._pending = None      # (names, their losses at their points, with the graph)

    def label(self, name):
        """The optimizer's name, with the step at which it diverged if it did."""
        gone = self.diverged[name]
        return f"{name} (diverged at step {gone})" if gone else name

    def _loss(self, point):
        return self.surface.loss(point[0], point[1])

    def step(self):
        """One step of every optimizer still in the race. Their losses are one batched
        computation (each point's gradient is its own: the points do not interact). The losses
        at the points a step reaches are computed with their graph, so that the next step takes
        its gradients from them: one evaluation of the surface per step, not two."""
        self.steps += 1
        running = [name for name in self.points if self.diverged[name] is None]
        if not running:
            return
        if self._pending is None or self._pending[0] != running:      # the first step, or one
            points = torch.stack([self.points[name] for name in running])   # dropped out
            self._pending = (running, self._loss(points.T))
        for name in running:
            self.optimizers[name].zero_grad()
        self._pending[1].sum().backward()
        for name in running:
            self.optimizers[name].step()
        points = torch.stack([self.points[name] for name in running])
        losses = self._loss(points.T)
        self._pending = (running, losses)
        for name, loss, point in zip(running, losses.tolist(), points.tolist()):
            if not all(math.isfinite(value) for value in (loss, *point)):
                self.diverged[name] = self.steps
                continue
            self.paths[name].append(point)
            self.losses[name].append(loss)

    def contour(self, resolution=80):
        """(xs, ys, loss grid) over the surface's plotting window."""
        xs = torch.linspace(*self.surface.x_range, resolution, dtype=torch.float64)
        ys = torch.linspace(*self.surface.y_range, resolution, dtype=torch.float64)
        grid_y, grid_x = torch.meshgrid(ys, xs, indexing="ij")
        return xs.numpy(), ys.numpy(), self.surface.loss(grid_x, grid_y).numpy()
