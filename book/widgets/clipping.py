"""The clipping explorer: gradient descent on Pascanu's one-unit RNN, with and without clipping.

Left: learning rate, clipping threshold, start (w, b), steps. Right: the loss surface (log10)
with both descent paths drawn as they go, and the gradient norm along each. The two runs
start together and take one step each per training step (``book.rnn.pascanu``). A path whose
gradient norm passes ``GRADIENT_LIMIT`` (1e6), or that is thrown far off the surface, has
diverged: the run stops and says which path, at which step.
"""
import numpy as np
import plotly.graph_objects as go
import torch

from ..plots import PALETTE
from ..rnn import pascanu
from .figure_widget import FigureWidget
from .training import (TrainingWidget, check_range, divergence, figure, number, set_curve,
                       thin)

W_RANGE, B_RANGE = (-2.0, 13.0), (-8.0, 3.0)
FAR = 1e3                 # |w| or |b| beyond this: the path has left the surface for good


def surface_figure(ws=None, bs=None):
    """The log10 loss surface as a contour plot (static, for pages and the widget)."""
    ws = np.linspace(*W_RANGE, 151) if ws is None else ws
    bs = np.linspace(*B_RANGE, 111) if bs is None else bs
    z = np.log10(pascanu.loss_surface(ws, bs) + 1e-12)
    fig = go.Figure(go.Contour(x=ws, y=bs, z=z, colorscale="Blues", ncontours=25, showscale=True,
                               colorbar=dict(title="log10 loss"), contours=dict(showlines=False)))
    fig.update_layout(title="Loss of the one-unit RNN on sequences of 50 steps", xaxis_title="w",
                      yaxis_title="b", height=450, width=600, template="plotly_white",
                      xaxis=dict(range=W_RANGE), yaxis=dict(range=B_RANGE),
                      margin=dict(t=100), legend=dict(orientation="h", x=0, y=1.0,
                                                      yanchor="bottom"))
    return fig


class _TwoPaths:
    """Both descents advanced in lock step."""

    def __init__(self, start, learning_rate, clip):
        self.runs = {"no clipping": None, f"clipped at {clip:g}": clip}
        self.start, self.learning_rate = start, learning_rate
        self.paths = {name: [np.array(start, dtype=float)] for name in self.runs}
        self.norms = {name: [] for name in self.runs}

    def step(self):
        for name, clip in self.runs.items():
            result = pascanu.descend(self.paths[name][-1], self.learning_rate, 1, clip)
            self.paths[name].append(result.points[-1])
            self.norms[name].append(result.grad_norm[0])


class ClippingExplorer(TrainingWidget):
    HEAVIEST = (dict(steps=100_000),)   # every step costs the same: the longest run

    def __init__(self, learning_rate=0.3, clip=1.0, w=11.0, b=-0.5, steps=40):
        self.learning_rate = number(float(learning_rate), "learning rate")
        self.clip = number(float(clip), "clip threshold")
        self.w = number(float(w), "start w")
        self.b = number(float(b), "start b")
        self.steps = number(int(steps), "steps")
        self.surface = FigureWidget(surface_figure())
        self.norm_figure = figure("gradient norm along each path", "step", "||gradient||",
                                  height=250, width=600, log_y=True)
        super().__init__([self.learning_rate, self.clip, self.w, self.b, self.steps],
                         [self.surface, self.norm_figure])

    def settings(self):
        return dict(learning_rate=check_range("learning rate", self.learning_rate.value, 1e-4, 5.0),
                    clip=check_range("clip threshold", self.clip.value, 1e-3, 1e3),
                    start=(check_range("start w", self.w.value, *W_RANGE),
                           check_range("start b", self.b.value, *B_RANGE)),
                    steps=check_range("steps", self.steps.value, 1, 100_000))

    def make_run(self, settings):
        run = _TwoPaths(settings["start"], settings["learning_rate"], settings["clip"])
        with self.surface.batch_update(), self.norm_figure.batch_update():
            self.surface.data = self.surface.data[:1]
            self.norm_figure.data = ()
            for k, name in enumerate(run.runs, start=1):
                # the clipped path dashed: where clipping never acts it lies on the other one
                dash = "dash" if run.runs[name] is not None else None
                self.surface.add_scatter(x=[], y=[], mode="lines+markers", name=name,
                                         line=dict(color=PALETTE[k], dash=dash), marker=dict(size=4))
                self.norm_figure.add_scatter(x=[], y=[], mode="lines", name=name,
                                             line=dict(color=PALETTE[k], dash=dash))
        return run, settings["steps"], torch.device("cpu")

    def step(self, run):
        run.step()
        step = len(run.norms["no clipping"])
        for name, clip in run.runs.items():
            point, norm = run.paths[name][-1], run.norms[name][-1]
            advice = "lower the learning rate, or clip" if clip is None else \
                "lower the learning rate or the clip threshold"
            message = divergence(step, grad_norm=norm, who=name, advice=advice)
            if message is None and not (np.isfinite(point).all() and np.abs(point).max() < FAR):
                message = (f"diverged at step {step} ({name}): the step threw (w, b) far off the "
                           f"surface — {advice}")
            if message:
                return message
        return None

    def draw(self, run):
        for k, name in enumerate(run.runs, start=1):
            points = np.array(run.paths[name])
            inside = np.isfinite(points).all(axis=1) & (np.abs(points) < FAR).all(axis=1)
            points = thin(points[:np.argmin(inside) if not inside.all() else len(points)])
            self.surface.data[k].x, self.surface.data[k].y = points[:, 0], points[:, 1]
            set_curve(self.norm_figure.data[k - 1], run.norms[name], positive=True)

    def summary(self, run):
        parts = []
        for name in run.runs:
            points = np.array(run.paths[name])
            longest = np.linalg.norm(np.diff(points, axis=0), axis=1).max()
            parts.append(f"{name}: longest step {longest:.2f}")
        return "; ".join(parts) + "."
