"""The adversary: one test digit, an attack and its size ε; the attacked image, the perturbation
and the network's class probabilities follow the sliders at once.

Left: which test digit, the attack (FGSM, PGD with 10 steps, or random signs of the same size:
the control), ε from 0 to 0.3 (pixels lie in [0, 1]). Right: the digit, the perturbation (grey
is zero), the attacked digit, and the probabilities the network gives each class before and
after. Each change recomputes one attack on one digit (milliseconds), so the figures follow a
dragged slider. The network is the adversarial-examples page's (a dense ReLU network trained on
the digits), trained once when the widget is made unless one is given.
"""
import ipywidgets as widgets
import numpy as np
import plotly.graph_objects as go
import torch

from ..data import digits_split, load_digits
from ..interpret import adversarial as adv
from ..plots import PALETTE
from .figure_widget import FigureWidget
from .training import STYLE

ATTACKS = {"FGSM": adv.fgsm, "PGD, 10 steps": adv.pgd,
           "random signs (the control)": lambda model, x, y, eps: adv.random_signs(
               x, eps, torch.Generator().manual_seed(0))}


def page_network():
    """The adversarial-examples page's network and test split: an MLP (64 ReLU units) trained
    for 30 epochs on the training digits of ``digits_split``; returns (model, X_test, y_test)."""
    from ..nn.dense import MLP
    from ..nn.training import fit
    X, labels = load_digits()
    train, test = digits_split()
    X, labels = torch.tensor(X, dtype=torch.float32), torch.tensor(labels)
    torch.manual_seed(0)
    model = MLP(64, 64, 1, 10, activation="relu")
    fit(model, X[train], labels[train], epochs=30, batch_size=64, lr=3e-3, seed=0)
    return model, X[test], labels[test]


class Adversary:
    def __init__(self, model=None, X=None, y=None, index=0, attack="FGSM", eps=0.1):
        if model is None:
            model, X, y = page_network()
        self.model, self.X, self.y = model.eval(), X, y
        self.index = widgets.IntSlider(index, 0, len(X) - 1, description="test digit", style=STYLE)
        self.attack = widgets.Dropdown(options=list(ATTACKS), value=attack, description="attack", style=STYLE)
        self.eps = widgets.FloatSlider(eps, min=0.0, max=0.3, step=0.01, description="ε (per pixel)",
                                       style=STYLE, readout_format=".2f")
        self.status = widgets.HTML(layout=widgets.Layout(width="320px"))
        from plotly.subplots import make_subplots
        grid = make_subplots(rows=1, cols=3, subplot_titles=["the digit", "the perturbation (grey: none)",
                                                             "the attacked digit"], horizontal_spacing=0.04)
        for col in (1, 2, 3):
            grid.add_trace(go.Heatmap(z=np.zeros((8, 8)), colorscale="Greys", zmin=0, zmax=1,
                                      showscale=False), row=1, col=col)
            grid.update_yaxes(scaleanchor=f"x{col if col > 1 else ''}", row=1, col=col)
        grid.update_xaxes(visible=False)
        grid.update_yaxes(visible=False)
        grid.update_layout(height=260, width=620, template="plotly_white", margin=dict(l=10, r=10, t=40, b=10))
        self.images = FigureWidget(grid)
        self.bars = FigureWidget(layout=dict(height=260, width=620, template="plotly_white",
                                             title="the network's class probabilities", barmode="group",
                                             xaxis_title="class", yaxis_title="probability",
                                             yaxis_range=[0, 1], margin=dict(l=60, r=10, t=40, b=40)))
        for name, colour in (("before", PALETTE[0]), ("after the attack", PALETTE[1])):
            self.bars.add_bar(x=list(range(10)), y=[0] * 10, name=name, marker_color=colour)
        left = widgets.VBox([self.index, self.attack, self.eps, self.status],
                            layout=widgets.Layout(min_width="330px"))
        self.widget = widgets.HBox([left, widgets.VBox([self.images, self.bars])])
        for control in (self.index, self.attack, self.eps):
            control.observe(lambda _: self.update(), names="value")
        self.update()

    def compute(self):
        """(the digit, its attacked version, probabilities before, after) for the controls."""
        x, y = self.X[self.index.value][None], self.y[self.index.value][None]
        attacked = ATTACKS[self.attack.value](self.model, x, y, self.eps.value)
        with torch.no_grad():
            before, after = self.model(x).softmax(1)[0], self.model(attacked).softmax(1)[0]
        return x[0], attacked[0].detach(), before, after

    def update(self):
        x, attacked, before, after = self.compute()
        label = int(self.y[self.index.value])
        with self.images.batch_update(), self.bars.batch_update():
            for trace, image in zip(self.images.data, (x, (attacked - x) + 0.5, attacked)):
                trace.z = np.round(image.reshape(8, 8).numpy()[::-1], 3)
            self.bars.data[0].y = np.round(before.numpy(), 4)
            self.bars.data[1].y = np.round(after.numpy(), 4)
        verdict = ("fooled" if after.argmax() != label else "not fooled")
        self.status.value = (f"a {label}: the network says {int(before.argmax())} ({before.max():.0%}) "
                             f"before, {int(after.argmax())} ({after.max():.0%}) after — {verdict}")

    def _ipython_display_(self):
        from IPython.display import display
        display(self.widget)


def explorable_attack(model, X, y, values, index=0, attack="FGSM"):
    """The adversary's images at each ε of ``values``, for a static page: one figure whose slider
    moves between them, each titled with the adversary's status line (made without a browser,
    so the page carries no widget state)."""
    from .. import plots
    from .static import frame, without_browser
    with without_browser():
        adversary = Adversary(model, X, y, index=index, attack=attack)
    frames = {}
    for eps in values:
        adversary.eps.value = eps
        adversary.images.layout.title = adversary.status.value
        frames[eps] = frame(adversary.images)
    return plots.slider(frames, "ε")
