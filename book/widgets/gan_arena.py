"""The GAN arena: one generator and one discriminator playing on the ring of eight Gaussians.

Left: the generator's loss (minimax or non-saturating) and optimizer (Adam or plain gradient
descent), both players' learning rates, discriminator steps per generator step, a head start
of the discriminator, hidden units, steps, seed. Right: the plane, with the discriminator's
probability of "data" as a heatmap under the data (grey) and the generator's points (moving as
it trains), and both players' losses beside the discriminator's at the game's end, 2 log 2.
The status line counts the modes covered. A loss that overflows or passes 100 times 2 log 2,
or a gradient norm beyond 1e6, stops the run as diverged.
"""
import math

import numpy as np
import torch

from ..device import get_device
from ..generative import gan, gan_plots
from ..generative.gan_plots import EXTENT
from ..plots import PALETTE
from .training import (TrainingWidget, check_range, choice, divergence, figure,
                       gradient_norms, number, set_curve)

EQUILIBRIUM = 2 * math.log(2)       # the discriminator's cross-entropy when D = 1/2 everywhere
SHOWN = 300                         # generated points drawn, from the same noise every time


class GANArena(TrainingWidget):
    HEAVIEST = (dict(hidden_size=128, d_steps=10, head_start=1000, steps=20000),)

    def __init__(self, loss="non-saturating", optimizer="adam", g_learning_rate=0.004,
                 d_learning_rate=0.004, d_steps=1, head_start=0, hidden_size=32, steps=2000, seed=0):
        self.loss = choice(gan.LOSSES, loss, "generator loss")
        self.optimizer = choice(["adam", "sgd"], optimizer, "G optimizer")
        self.g_learning_rate = number(float(g_learning_rate), "lr generator")
        self.d_learning_rate = number(float(d_learning_rate), "lr discriminator")
        self.d_steps = number(int(d_steps), "D steps per G")
        self.head_start = number(int(head_start), "D head start")
        self.hidden_size = number(int(hidden_size), "hidden units")
        self.steps = number(int(steps), "steps")
        self.seed = number(int(seed), "seed")
        self.plane = figure("the data, the generator's points, D(x)", "x1", "x2", height=440, width=480)
        self.plane.update_xaxes(range=[-EXTENT, EXTENT], constrain="domain")
        self.plane.update_yaxes(range=[-EXTENT, EXTENT], scaleanchor="x")
        self.loss_figure = figure("losses", "step (the head start's, then the game's)", height=260, width=480)
        super().__init__([self.loss, self.optimizer, self.g_learning_rate, self.d_learning_rate,
                          self.d_steps, self.head_start, self.hidden_size, self.steps, self.seed],
                         [self.plane, self.loss_figure])

    def settings(self):
        return dict(loss=self.loss.value, optimizer=self.optimizer.value,
                    g_learning_rate=check_range("lr generator", self.g_learning_rate.value, 1e-5, 1.0),
                    d_learning_rate=check_range("lr discriminator", self.d_learning_rate.value, 1e-5, 1.0),
                    d_steps=check_range("D steps per G", self.d_steps.value, 1, 10),
                    head_start=check_range("D head start", self.head_start.value, 0, 1000),
                    hidden_size=check_range("hidden units", self.hidden_size.value, 2, 128),
                    steps=check_range("steps", self.steps.value, 1, 20000),
                    seed=check_range("seed", self.seed.value, 0, 2**31 - 1))

    def make_run(self, settings):
        device = get_device()
        model = gan.GAN((settings["loss"],), hidden_size=settings["hidden_size"], seeds=settings["seed"])
        game = gan.Game(model.to(device), lr=settings["g_learning_rate"], d_lr=settings["d_learning_rate"],
                        optimizer=settings["optimizer"], d_steps=settings["d_steps"], seed=settings["seed"])
        game.head_start, game.head_losses = settings["head_start"], []
        game.total, game.redraws = settings["head_start"] + settings["steps"], 0
        game.noise_seed = settings["seed"] + 1
        grid, probability = gan.discriminator_map(model)
        data = gan.sample_ring(600, generator=torch.Generator().manual_seed(settings["seed"])).numpy()
        with self.plane.batch_update(), self.loss_figure.batch_update():
            self.plane.data = ()
            gan_plots.add_discriminator(self.plane, grid.numpy(), np.round(probability[0].cpu().numpy(), 2))
            gan_plots.add_points(self.plane, data, np.empty((1, 0, 2)), names=["generator"],
                                 colours=[PALETTE[1]])          # the generator's: drawn as it trains
            self.loss_figure.data = ()
            for name, colour in (("discriminator", PALETTE[0]), ("generator", PALETTE[1])):
                self.loss_figure.add_scatter(x=[], y=[], mode="lines", name=name, line=dict(color=colour))
            self.loss_figure.add_scatter(x=[1, settings["head_start"] + settings["steps"]], y=[EQUILIBRIUM] * 2,
                                         mode="lines",
                                         name="D at the game's end (2 log 2)",
                                         line=dict(color="black", dash="dash", width=1))
        return game, settings["head_start"] + settings["steps"], device

    def step(self, game):
        if len(game.head_losses) < game.head_start:            # the discriminator alone, first
            d_loss = game.discriminator_step()
            game.head_losses.append(d_loss.item())
            return self.diverged(len(game.head_losses), d_loss, game.model.discriminator, "discriminator")
        d_loss, g_loss = game.step()
        rounds = game.head_start + len(game.g_losses)
        return (self.diverged(rounds, d_loss, game.model.discriminator, "discriminator")
                or self.diverged(rounds, g_loss, game.model.generator, "generator"))

    @staticmethod
    def diverged(step, loss, player, who):
        """The divergence message for one player's loss and gradient, or None."""
        return divergence(step, loss.item(), EQUILIBRIUM, gradient_norms(player.parameters()),
                          who=who, scale_name="2 log 2", advice=f"lower the learning rate of the {who}")

    def points(self, game):
        with torch.no_grad():
            return game.model.sample(SHOWN, torch.Generator().manual_seed(game.noise_seed))[0]

    def draw(self, game):
        # the plane's heatmap and points take turns: a browser answered an update of both
        # traces at once about five times slower (in JupyterLab: 2 redraws a second, 10 this
        # way); the closing redraw, after the last step or Stop, draws both
        game.redraws += 1
        closing = self._stop or len(game.head_losses) + len(game.g_losses) >= game.total
        if closing or game.redraws % 2:
            _, probability = gan.discriminator_map(game.model)
            self.plane.data[0].z = np.round(np.nan_to_num(probability[0].cpu().numpy(), nan=0.5), 2)
        if closing or not game.redraws % 2:
            points = np.nan_to_num(self.points(game).cpu().numpy(), nan=0.0).clip(-10, 10)
            points = points.astype(np.float32)
            self.plane.data[2].x, self.plane.data[2].y = points[:, 0], points[:, 1]
        set_curve(self.loss_figure.data[0], game.head_losses + [d[0] for d in game.d_losses])
        rounds = np.arange(len(game.g_losses)) + game.head_start + 1
        set_curve(self.loss_figure.data[1], [g[0] for g in game.g_losses], x=rounds)

    def summary(self, game):
        points = self.points(game)[None].cpu()
        n = int(gan.covered(points, gan.ring_centers(), game.std).sum())
        d_loss = f"{game.d_losses[-1][0]:.3f}" if game.d_losses else "not played"
        return (f"the generator covers {n} of the 8 modes; the discriminator's loss {d_loss} "
                f"(2 log 2 = {EQUILIBRIUM:.3f} at the game's end).")
