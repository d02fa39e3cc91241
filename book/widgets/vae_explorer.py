"""The VAE latent explorer: train a VAE with a 2-dimensional latent space on the digits, then
move a point in that plane and see the digit the decoder draws there at once.

Left: β (the weight of the KL term), hidden units, learning rate, epochs, seed; Train and Stop;
below them the latent point (z1, z2), live whether or not a run trains. Right: the test digits'
encoder means coloured by class, with the chosen point; the decoder's drawing at that point
(its pixel probabilities); the test reconstruction and KL per digit, epoch by epoch, beside
what independent pixels reach without a code. A step is one epoch of mini-batches of 128
(a part each), with the course's Adam. A loss that overflows, or a gradient norm beyond 1e6, stops the run as
diverged.
"""
import ipywidgets as widgets
import numpy as np
import torch

from ..data import digits_split, load_digits
from ..generative import vae
from ..generative.training import epoch_in_parts
from ..nn.optimizers import Adam
from ..plots import PALETTE
from .training import (STYLE, TrainingWidget, check_range, divergence, figure, gradient_norms,
                       number, set_curve)

BATCH_SIZE = 128


def binary_digits():
    """The VAE page's split of the binarized digits: (train, test, test labels)."""
    X, labels = load_digits()
    X = (X > 0.5).astype(np.float32)
    train, test = digits_split()
    return torch.tensor(X[train]), torch.tensor(X[test]), labels[test]


class VAEExplorer(TrainingWidget):
    HEAVIEST = (dict(hidden_size=256, steps=500),)

    def __init__(self, beta=1.0, hidden_size=64, learning_rate=0.01, steps=60, seed=0):
        self.beta = number(float(beta), "β (KL weight)")
        self.hidden_size = number(int(hidden_size), "hidden units")
        self.learning_rate = number(float(learning_rate), "learning rate")
        self.steps = number(int(steps), "epochs")          # a step is an epoch
        self.seed = number(int(seed), "seed")
        self.z1, self.z2 = (widgets.FloatSlider(value=0.0, min=-3.0, max=3.0, step=0.05, description=name,
                                                style=STYLE, continuous_update=True) for name in ("z1", "z2"))
        self.latent = figure("test digits' encoder means, and the point (z1, z2)", "z1", "z2",
                             height=380, width=440)
        self.latent.update_yaxes(scaleanchor="x")
        self.drawing = figure("the decoder at (z1, z2)", height=260, width=260)
        self.drawing.update_xaxes(visible=False)
        self.drawing.update_yaxes(visible=False, scaleanchor="x")
        self.loss_figure = figure("test loss per digit (nats)", "epoch", height=260, width=440)
        self.X_train, self.X_test, self.labels = binary_digits()
        self.no_code = vae.independent_pixels_nll(self.X_train, self.X_test)
        super().__init__([self.beta, self.hidden_size, self.learning_rate, self.steps, self.seed,
                          widgets.HTML("<b>the latent point</b>"), self.z1, self.z2],
                         [self.latent, self.drawing, self.loss_figure])
        for slider in (self.z1, self.z2):
            slider.observe(lambda _: self.show_point(), names="value")

    def settings(self):
        return dict(beta=check_range("β (KL weight)", self.beta.value, 0.0, 20.0),
                    hidden_size=check_range("hidden units", self.hidden_size.value, 2, 256),
                    learning_rate=check_range("learning rate", self.learning_rate.value, 1e-5, 0.1),
                    epochs=check_range("epochs", self.steps.value, 1, 500),
                    seed=check_range("seed", self.seed.value, 0, 2**31 - 1))

    def make_run(self, settings):
        model = vae.VAE(self.X_train.shape[1], latent_size=2, hidden_size=settings["hidden_size"],
                        betas=(settings["beta"],), seed=settings["seed"])
        model.optimizer = Adam(model.parameters(), lr=settings["learning_rate"])
        model.generator = torch.Generator().manual_seed(settings["seed"])
        model.reconstruction, model.kl = [], []
        with self.latent.batch_update(), self.drawing.batch_update(), self.loss_figure.batch_update():
            self.latent.data = ()
            for digit in range(10):
                self.latent.add_scatter(x=[], y=[], mode="markers", name=str(digit),
                                        marker=dict(size=5, color=PALETTE[digit % len(PALETTE)],
                                                    symbol="circle" if digit < len(PALETTE) else "diamond"))
            self.latent.add_scatter(x=[self.z1.value], y=[self.z2.value], mode="markers", name="(z1, z2)",
                                    marker=dict(size=14, color="black", symbol="x"))
            self.drawing.data = ()
            self.drawing.add_heatmap(z=np.zeros((8, 8)), colorscale="Greys", zmin=0, zmax=1, showscale=False)
            self.loss_figure.data = ()
            for name, colour in (("reconstruction", PALETTE[0]), ("KL (rate)", PALETTE[1])):
                self.loss_figure.add_scatter(x=[], y=[], mode="lines", name=name, line=dict(color=colour))
            self.loss_figure.add_scatter(x=[1, settings["epochs"]], y=[self.no_code] * 2, mode="lines",
                                         name=f"independent pixels, no code ({self.no_code:.1f})",
                                         line=dict(color="black", dash="dash", width=1))
        return model, settings["epochs"], torch.device("cpu")

    def step(self, model):
        """One epoch, a mini-batch per part, then the test losses."""
        mean = yield from epoch_in_parts(model, self.X_train, vae.batch_loss, model.optimizer,
                                         BATCH_SIZE, model.generator)
        reconstruction, kl = vae.evaluate(model, self.X_test, n_draws=1)
        model.reconstruction.append(float(reconstruction[0]))
        model.kl.append(float(kl[0]))
        return divergence(len(model.kl), mean.item(), self.no_code,
                          gradient_norms(model.parameters()), scale_name="independent pixels'")

    def decoded(self, model):
        z = torch.tensor([[[self.z1.value, self.z2.value]]], dtype=torch.float32)
        with torch.no_grad():
            return model.decode(z)[0, 0].reshape(8, 8).numpy()[::-1]

    def show_point(self):
        """The decoder's drawing at the sliders' point, at once (trained or training)."""
        if self.run is None or not self.drawing.data:
            return
        with self.drawing.batch_update(), self.latent.batch_update():
            self.drawing.data[0].z = np.round(self.decoded(self.run), 3)
            self.latent.data[-1].x, self.latent.data[-1].y = [self.z1.value], [self.z2.value]

    def draw(self, model):
        with torch.no_grad():
            means = model.encode(self.X_test)[0][0].numpy()
        means = np.nan_to_num(means).clip(-10, 10).astype(np.float32)
        for digit in range(10):
            keep = self.labels == digit
            self.latent.data[digit].x, self.latent.data[digit].y = means[keep, 0], means[keep, 1]
        self.drawing.data[0].z = np.round(np.nan_to_num(self.decoded(model)), 3)
        set_curve(self.loss_figure.data[0], model.reconstruction)
        set_curve(self.loss_figure.data[1], model.kl)

    def summary(self, model):
        active = int(vae.active_units(model, self.X_test)[0])
        return (f"test reconstruction {model.reconstruction[-1]:.1f} nats, KL {model.kl[-1]:.2f} nats "
                f"(independent pixels: {self.no_code:.1f}); {active} of 2 latent dimensions active. "
                f"Move (z1, z2) to see the decoder's digits.")
