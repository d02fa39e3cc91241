"""Generative adversarial networks (Goodfellow et al. 2014) on points in the plane, several at once.

A generator G maps noise z ~ N(0, I) to a point; a discriminator D maps a point to a logit l,
the log-odds that the point came from the data. D minimizes the cross-entropy of telling the
data (label 1) from G's points (label 0). G plays against it with one of two losses, where
l = D(G(z)) is D's logit for a generated point and sigmoid(l) the probability D gives "data":

    minimax:          G minimizes  E log(1 - sigmoid(l)) = -E softplus(l)
    non-saturating:   G minimizes -E log sigmoid(l)      =  E softplus(-l)

Per point, the first loss has the slope -sigmoid(l) in l, the second -(1 - sigmoid(l)): where D
rejects G's points with confidence (l far below 0), the minimax loss is flat and G learns almost
nothing, the non-saturating loss is steepest.

One ``GAN`` holds one generator-discriminator pair per entry of ``losses`` (``book.nn.parallel``):
they train in lockstep, each as it would alone, on the same data batches and noise. The page
chapters/generative/gan.md derives the losses and measures what they do.
"""
import math

import torch
from torch import nn
from torch.nn import functional as F

from book.nn.optimizers import SGD, Adam, flatten_parameters_
from book.nn.parallel import parallel_mlp

LOSSES = ("minimax", "non-saturating")


def ring_centers(n_modes=8, radius=2.0):
    """The centres of ``n_modes`` Gaussians evenly spaced on a circle: (n_modes, 2)."""
    angles = torch.arange(n_modes) * (2 * math.pi / n_modes)
    return radius * torch.stack([torch.cos(angles), torch.sin(angles)], dim=1)


def sample_ring(n_samples, n_modes=8, radius=2.0, std=0.1, generator=None):
    """``n_samples`` points from the equal mixture of Gaussians of standard deviation ``std``
    around ``ring_centers(n_modes, radius)``."""
    modes = torch.randint(n_modes, (n_samples,), generator=generator)
    noise = torch.randn(n_samples, 2, generator=generator)
    return ring_centers(n_modes, radius)[modes] + std * noise


class GAN(nn.Module):
    """One generator (noise_size -> hidden -> hidden -> 2) and one discriminator
    (2 -> hidden -> hidden -> 1 logit), ReLU between layers, per entry of ``losses``;
    pair k starts from the weights drawn with ``seeds[k]`` (one seed: the same for all). Points
    carry the models in front: (n_models, batch, 2)."""

    def __init__(self, losses=("non-saturating",), noise_size=2, hidden_size=32, seeds=0):
        super().__init__()
        unknown = set(losses) - set(LOSSES)
        if unknown:
            raise ValueError(f"unknown generator loss {sorted(unknown)}; choose from {LOSSES}")
        self.losses, self.noise_size = tuple(losses), noise_size
        k = len(losses)
        seeds = [seeds] * k if isinstance(seeds, int) else list(seeds)
        if len(seeds) != k:
            raise ValueError(f"{len(seeds)} seeds for {k} models")
        generators = [torch.Generator().manual_seed(seed) for seed in seeds]
        self.generator = parallel_mlp(k, (noise_size, hidden_size, hidden_size, 2), generators)
        self.discriminator = parallel_mlp(k, (2, hidden_size, hidden_size, 1), generators)
        self.register_buffer("minimax", torch.tensor([loss == "minimax" for loss in losses]))

    def sample(self, n_samples, generator=None):
        """``n_samples`` generated points per model, from the same noise (drawn on the CPU, from
        ``generator``, whatever the device): (n_models, n, 2)."""
        z = torch.randn(n_samples, self.noise_size, generator=generator).to(self.minimax.device)
        return self.generator(z.expand(len(self.losses), *z.shape))

    def logits(self, points):
        """D's logit per point: (n_models, n, 2) -> (n_models, n)."""
        return self.discriminator(points).squeeze(-1)

    def discriminator_loss(self, real, fake):
        """Per model, the cross-entropy of D on data points (label 1) and generated ones (label 0).
        ``real``: (n, 2), the same for every model, or (n_models, n, 2)."""
        real = real.to(fake.device)
        if real.dim() == 2:
            real = real.expand(len(self.losses), *real.shape)
        logits = self.logits(torch.cat([real, fake], dim=1))          # one pass for both
        real_logits, fake_logits = logits[:, :real.shape[1]], logits[:, real.shape[1]:]
        return F.softplus(-real_logits).mean(-1) + F.softplus(fake_logits).mean(-1)

    def generator_loss(self, fake):
        """Per model, its generator's loss on generated points ``fake``: minimax or non-saturating."""
        logit = self.logits(fake)
        return torch.where(self.minimax[:, None], -F.softplus(logit), F.softplus(-logit)).mean(-1)


class FlatOptimizer:
    """One of ``book.nn.optimizers`` over a network whose parameters are made views of one flat
    tensor (``flatten_parameters_``): each step is a few operations on one tensor. (The course's
    optimizers have torch.optim's update rules and spare a page the second torch.optim's first
    step takes to import torch._dynamo.)"""

    def __init__(self, module, optimizer, **kwargs):
        self.flat, self.grad = flatten_parameters_(list(module.parameters()))
        self.optimizer = optimizer([self.flat], **kwargs)

    def zero_grad(self):
        self.grad.zero_()

    def step(self):
        self.optimizer.step([self.grad])


def optimizers(model, lr=4e-3, d_lr=None, optimizer="adam"):
    """The discriminators' Adam (beta1 = 0.5, as Radford et al.) at ``d_lr`` (default ``lr``), and
    the generators' ``optimizer`` at ``lr``: "adam" the same, "sgd" plain gradient descent, whose
    step is proportional to the gradient."""
    if optimizer not in ("adam", "sgd"):
        raise ValueError(f"unknown optimizer {optimizer!r}: choose 'adam' or 'sgd'")
    d_optimizer = FlatOptimizer(model.discriminator, Adam, lr=d_lr or lr, betas=(0.5, 0.999))
    g_optimizer = (FlatOptimizer(model.generator, Adam, lr=lr, betas=(0.5, 0.999)) if optimizer == "adam"
                   else FlatOptimizer(model.generator, SGD, lr=lr))
    return d_optimizer, g_optimizer


def discriminator_step(model, d_optimizer, real, generator):
    """One step of the discriminators on a batch of data and as many generated points; their
    losses (n_models,)."""
    with torch.no_grad():
        fake = model.sample(len(real), generator)
    loss = model.discriminator_loss(real, fake)
    d_optimizer.zero_grad()
    loss.sum().backward()
    d_optimizer.step()
    return loss.detach()


def generator_step(model, g_optimizer, batch_size, generator):
    """One step of the generators; their losses (n_models,)."""
    loss = model.generator_loss(model.sample(batch_size, generator))
    g_optimizer.zero_grad()
    loss.sum().backward()
    g_optimizer.step()
    return loss.detach()


class Game:
    """A game in progress on the ring of ``sample_ring(std=std)``: the players' optimizers
    (``optimizers``), one seeded random stream for the data and the noise, and the losses of
    every round so far. ``step`` plays one round: ``d_steps`` discriminator steps, then one
    generator step, each on a fresh batch; ``discriminator_step`` a step of the discriminators
    alone (a head start)."""

    def __init__(self, model, batch_size=64, lr=4e-3, d_lr=None, optimizer="adam", d_steps=1,
                 std=0.1, seed=0):
        self.model, self.batch_size, self.d_steps, self.std = model, batch_size, d_steps, std
        self.generator = torch.Generator().manual_seed(seed)
        self.d_optimizer, self.g_optimizer = optimizers(model, lr, d_lr, optimizer)
        self.d_losses, self.g_losses = [], []

    def discriminator_step(self):
        real = sample_ring(self.batch_size, std=self.std, generator=self.generator)
        return discriminator_step(self.model, self.d_optimizer, real, self.generator)

    def step(self):
        for _ in range(self.d_steps):
            d_loss = self.discriminator_step()
        g_loss = generator_step(self.model, self.g_optimizer, self.batch_size, self.generator)
        self.d_losses.append(d_loss.tolist())
        self.g_losses.append(g_loss.tolist())
        return d_loss, g_loss


def head_start(model, steps=300, batch_size=64, lr=4e-3, std=0.1, seed=0):
    """``steps`` Adam steps of the discriminators alone against the generators as they are: a
    discriminator that has learned to reject them before the game begins."""
    game = Game(model, batch_size, lr, std=std, seed=seed)
    for _ in range(steps):
        game.discriminator_step()


def fit(model, steps=1000, batch_size=64, lr=4e-3, d_lr=None, optimizer="adam", d_steps=1,
        std=0.1, seed=0, record=None, every=100):
    """``steps`` rounds of a new ``Game``. ``record(model)``, before the game and every
    ``every`` rounds, gives the returned list."""
    game = Game(model, batch_size, lr, d_lr, optimizer, d_steps, std, seed)
    values = [record(model)] if record else []
    for step in range(steps):
        game.step()
        if record and (step + 1) % every == 0:
            values.append(record(model))
    return values


def covered(points, centers, std, min_share=0.25):
    """Which modes each model covers: those holding at least ``min_share`` of the points an
    equal mixture would put there, counting the points within 3 ``std`` of a centre.
    ``points`` (..., n, 2) -> booleans (..., n_modes)."""
    near = torch.cdist(points, centers.expand(*points.shape[:-2], *centers.shape)) < 3 * std
    return near.sum(-2) >= min_share * points.shape[-2] / len(centers)


def generator_gradient_norm(model, n_samples=512, seed=0):
    """Per model, the norm of the gradient of its generator's loss with respect to its generator's
    weights, at the current weights (the models' gradients are independent)."""
    weights = list(model.generator.parameters())
    loss = model.generator_loss(model.sample(n_samples, torch.Generator().manual_seed(seed))).sum()
    grads = torch.autograd.grad(loss, weights)
    return sum((g ** 2).flatten(1).sum(1) for g in grads).sqrt()


def distance_to_ring(points, radius=2.0):
    """Per model, the mean distance of ``points`` (n_models, n, 2) from the data's circle."""
    return (points.norm(dim=-1) - radius).abs().mean(-1)


def discriminator_map(model, extent=3.0, resolution=41):
    """Each discriminator's probability of "data" on a square grid over [-extent, extent]^2:
    the grid's coordinates along an axis, and (n_models, resolution, resolution), rows along x2."""
    grid = torch.linspace(-extent, extent, resolution)
    x2, x1 = torch.meshgrid(grid, grid, indexing="ij")
    points = torch.stack([x1.flatten(), x2.flatten()], dim=1).expand(len(model.losses), -1, -1)
    with torch.no_grad():
        probability = torch.sigmoid(model.logits(points))
    return grid, probability.reshape(len(model.losses), resolution, resolution)


def snapshot(model, std=0.1, n_samples=1000, keep=300, seed=1):
    """What the GAN page records of every generator (``fit``'s ``record``): the modes it covers
    (n_models, n_modes), its points' mean distance to the circle (n_models,), and ``keep`` of
    its ``n_samples`` points, drawn from the same noise at every call (n_models, keep, 2)."""
    with torch.no_grad():
        points = model.sample(n_samples, torch.Generator().manual_seed(seed))
    return covered(points, ring_centers(), std), distance_to_ring(points), points[:, :keep].numpy()


def history(snapshots, every):
    """``fit``'s list of ``snapshot``s as one dict: the generator steps, and per snapshot the
    modes covered (booleans and counts), the distance to the circle and the points."""
    masks = torch.stack([c for c, _, _ in snapshots])
    return {"steps": [i * every for i in range(len(snapshots))], "covered": masks,
            "n": masks.sum(-1).float(),
            "distance": torch.stack([d for _, d, _ in snapshots]),
            "points": [p for _, _, p in snapshots]}
