"""The neural-network playground: a dense classifier training live on 2D data.

Left: data set and noise, depth, width, activation, optimizer, learning rate, L2 weight
decay, steps, seed. Right: p(class 1) as a heatmap under the data (training points filled,
held-out points hollow), and the training and held-out loss. The boundary is evaluated on a
grid of up to 60 x 60 points, coarser for the largest networks so that a redraw stays short;
a loss that overflows or passes 100 times that of a coin toss (log 2), or a gradient norm
beyond 1e6, stops the run as diverged.
"""
import numpy as np

from ..nn import ACTIVATIONS, OPTIMIZERS
from ..nn.playground import DATASETS, Classifier2D
from ..plots import PALETTE, PROBABILITY_COLOURS
from .training import (TrainingWidget, check_range, choice, divergence, figure,
                       gradient_norms, number, set_curve)

RESOLUTION = 60


def resolution(depth, width):
    """Grid points per side for the boundary: 60, fewer when evaluating the network on the
    grid would take more than about 6 ms (measured on a 2-core server: 0.2 us per point for
    2 x 16, 6.7 us for 8 x 128), so that redrawing 10 times a second leaves time to train."""
    per_point_us = 5e-5 * depth * width * width + 0.15
    return int(np.clip(np.sqrt(6000 / per_point_us), 30, RESOLUTION))


class Playground(TrainingWidget):
    HEAVIEST = (dict(dataset="spirals", depth=8, width=128, steps=20000),)

    def __init__(self, dataset="moons", noise=0.15, depth=2, width=16, activation="tanh",
                 optimizer="adam", learning_rate=0.03, weight_decay=0.0, steps=300, seed=0):
        self.dataset = choice(DATASETS, dataset, "data")
        self.noise = number(float(noise), "noise")
        self.depth = number(int(depth), "hidden layers")
        self.width = number(int(width), "units per layer")
        self.activation = choice(list(ACTIVATIONS), activation, "activation")
        self.optimizer = choice(list(OPTIMIZERS), optimizer, "optimizer")
        self.learning_rate = number(float(learning_rate), "learning rate")
        self.weight_decay = number(float(weight_decay), "L2 (weight decay)")
        self.steps = number(int(steps), "steps")
        self.seed = number(int(seed), "seed")
        self.boundary = figure("p(class 1)", "x1", "x2", height=420, width=460)
        self.boundary.update_yaxes(scaleanchor="x")
        self.loss_figure = figure("cross-entropy", "step", height=260, width=460, log_y=True)
        super().__init__([self.dataset, self.noise, self.depth, self.width, self.activation,
                          self.optimizer, self.learning_rate, self.weight_decay, self.steps,
                          self.seed], [self.boundary, self.loss_figure])

    def settings(self):
        return dict(dataset=self.dataset.value, activation=self.activation.value,
                    optimizer=self.optimizer.value,
                    noise=check_range("noise", self.noise.value, 0.0, 1.0),
                    depth=check_range("hidden layers", self.depth.value, 1, 8),
                    width=check_range("units per layer", self.width.value, 1, 128),
                    learning_rate=check_range("learning rate", self.learning_rate.value, 1e-5, 10.0),
                    weight_decay=check_range("L2 (weight decay)", self.weight_decay.value, 0.0, 1.0),
                    seed=check_range("seed", self.seed.value, 0, 2**31 - 1),
                    steps=check_range("steps", self.steps.value, 1, 20000))

    def make_run(self, settings):
        steps = settings.pop("steps")
        run = Classifier2D(**settings)
        lo, hi = run.X.min(0) - 0.3, run.X.max(0) + 0.3
        run.resolution = n = resolution(settings["depth"], settings["width"])
        run.grid_x, run.grid_y = np.linspace(lo[0], hi[0], n), np.linspace(lo[1], hi[1], n)
        run.grid = np.stack(np.meshgrid(run.grid_x, run.grid_y), -1).reshape(-1, 2)
        train = run.X_train.cpu().numpy(), run.y_train.cpu().numpy()
        test = run.X_test.cpu().numpy(), run.y_test.cpu().numpy()
        with self.boundary.batch_update(), self.loss_figure.batch_update():
            self.boundary.data = ()
            self.boundary.add_heatmap(x=run.grid_x.astype(np.float32), y=run.grid_y.astype(np.float32),
                                      z=np.full((n, n), 0.5),
                                      colorscale=PROBABILITY_COLOURS, zmin=0, zmax=1,
                                      colorbar=dict(title="p(class 1)", thickness=15))
            for (X, y), hollow in ((train, False), (test, True)):
                for c in (0, 1):
                    keep = y == c
                    self.boundary.add_scatter(
                        x=X[keep, 0], y=X[keep, 1], mode="markers", showlegend=False,
                        marker=dict(size=6, color="white" if hollow else PALETTE[c],
                                    line=dict(width=1.5, color=PALETTE[c])))
            self.loss_figure.data = ()
            for name, colour in (("training", PALETTE[0]), ("held out", PALETTE[1])):
                self.loss_figure.add_scatter(x=[], y=[], mode="lines", name=name, line=dict(color=colour))
            self.loss_figure.add_scatter(x=[1, steps], y=[np.log(2)] * 2, mode="lines",
                                         name="a coin toss (log 2)",
                                         line=dict(color="black", dash="dash", width=1))
        return run, steps, run.device

    def step(self, run):
        train, _ = run.step()
        return divergence(len(run.train_loss), train, np.log(2),
                          gradient_norms(run.model.parameters()),
                          scale_name="a coin toss's (log 2)",
                          advice="lower the learning rate")

    def draw(self, run):
        z = run.proba(run.grid).reshape(run.resolution, run.resolution)
        self.boundary.data[0].z = np.round(np.nan_to_num(z.astype(float), nan=0.5), 2)
        set_curve(self.loss_figure.data[0], run.train_loss, positive=True)
        set_curve(self.loss_figure.data[1], run.test_loss, positive=True)

    def summary(self, run):
        return (f"training accuracy {run.accuracy('train'):.3f}, "
                f"held-out accuracy {run.accuracy('test'):.3f}.")
