"""The clipping explorer: gradient descent on Pascanu's one-unit RNN, with and without clipping.

Left: learning rate, clipping threshold, start (w, b), steps. Right: the loss surface (log10)
with both descent paths drawn as they go, and the gradient norm along each. The two runs
start together and take one step each per training step (``book.rnn.pascanu``).
"""
import numpy as np
import plotly.graph_objects as go

from ..plots import PALETTE
from ..rnn import pascanu
from .training import TrainingWidget, check_range, figure, number

W_RANGE, B_RANGE = (-2.0, 13.0), (-8.0, 3.0)


def surface_figure(ws=None, bs=None):
    """The log10 loss surface as a contour plot (static, for pages and the widget)."""
    ws = np.linspace(*W_RANGE, 151) if ws is None else ws
    bs = np.linspace(*B_RANGE, 111) if bs is None else bs
    z = np.log10(pascanu.loss_surface(ws, bs) + 1e-12)
    fig = go.Figure(go.Contour(x=ws, y=bs, z=z, colorscale="Blues", ncontours=25, showscale=True,
                               colorbar=dict(title="log10 loss"), contours=dict(showlines=False)))
    fig.update_layout(title="Loss of the one-unit RNN after 50 steps", xaxis_title="w",
                      yaxis_title="b", height=450, width=600, template="plotly_white",
                      xaxis=dict(range=W_RANGE), yaxis=dict(range=B_RANGE))
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
    redraw_seconds = 0.05

    def __init__(self, learning_rate=0.3, clip=1.0, w=11.0, b=-0.5, steps=40):
        self.learning_rate = number(float(learning_rate), "learning rate")
        self.clip = number(float(clip), "clip threshold")
        self.w = number(float(w), "start w")
        self.b = number(float(b), "start b")
        self.steps = number(int(steps), "steps")
        self.surface = go.FigureWidget(surface_figure())
        self.norm_figure = figure("gradient norm along each path", "step", "||gradient||",
                                  height=250, width=600, log_y=True)
        super().__init__([self.learning_rate, self.clip, self.w, self.b, self.steps],
                         [self.surface, self.norm_figure])

    def settings(self):
        return dict(learning_rate=check_range("learning rate", self.learning_rate.value, 1e-4, 5.0),
                    clip=check_range("clip threshold", self.clip.value, 1e-3, 1e3),
                    start=(check_range("start w", self.w.value, *W_RANGE),
                           check_range("start b", self.b.value, *B_RANGE)),
                    steps=check_range("steps", self.steps.value, 1, 500))

    def make_run(self, settings):
        run = _TwoPaths(settings["start"], settings["learning_rate"], settings["clip"])
        with self.surface.batch_update(), self.norm_figure.batch_update():
            self.surface.data = self.surface.data[:1]
            self.norm_figure.data = ()
            for k, name in enumerate(run.runs, start=1):
                self.surface.add_scatter(x=[], y=[], mode="lines+markers", name=name,
                                         line=dict(color=PALETTE[k]), marker=dict(size=4))
                self.norm_figure.add_scatter(x=[], y=[], mode="lines", name=name,
                                             line=dict(color=PALETTE[k]))
        return run, settings["steps"], "cpu"

    def step(self, run):
        run.step()
        if not all(np.isfinite(p[-1]).all() for p in run.paths.values()):
            return f"diverged at step {len(run.norms['no clipping'])}: lower the learning rate"
        return None

    def draw(self, run):
        with self.surface.batch_update(), self.norm_figure.batch_update():
            for k, name in enumerate(run.runs, start=1):
                points = np.array(run.paths[name])
                self.surface.data[k].x, self.surface.data[k].y = points[:, 0], points[:, 1]
                self.norm_figure.data[k - 1].x = np.arange(1, len(run.norms[name]) + 1)
                self.norm_figure.data[k - 1].y = run.norms[name]

    def summary(self, run):
        parts = []
        for name in run.runs:
            points = np.array(run.paths[name])
            longest = np.linalg.norm(np.diff(points, axis=0), axis=1).max()
            parts.append(f"{name}: longest step {longest:.2f}")
        return "; ".join(parts) + "."
