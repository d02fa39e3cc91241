"""Variational autoencoders (Kingma & Welling 2014), several at once.

The encoder gives each input x a Gaussian q(z | x) = N(mu(x), diag(exp(log_var(x)))) over a
latent z; the decoder gives each z the pixel probabilities of a Bernoulli p(x | z) (pixels in
[0, 1] read as probabilities of ink). Training maximizes the evidence lower bound, or minimizes

    loss = E_q[-log p(x | z)] + beta * KL(q(z | x) || N(0, I)),

the first term estimated with one draw z = mu + exp(log_var / 2) * eps, eps ~ N(0, I) (the
reparameterization trick: the randomness moved into eps, the gradient flows through mu and
log_var), the second in closed form:

    KL = 1/2 sum_j (mu_j^2 + exp(log_var_j) - 1 - log_var_j).

beta = 1 is the bound itself; a larger beta buys a simpler code (smaller KL) with worse
reconstructions, up to the collapse where q(z | x) = N(0, I) for every x and the code says nothing.
One ``VAE`` holds one model per beta (``book.nn.parallel``): they train in lockstep, each as it
would alone, on the same batches.
"""
import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from book.nn.parallel import parallel_mlp

from . import training


class VAE(nn.Module):
    """One VAE per value of ``betas``, each: x -> tanh(hidden) -> (mu, log_var) of a
    ``latent_size``-dimensional Gaussian; z -> tanh(hidden) -> logits of the n_features pixels.
    Inputs and outputs carry the models in front: (n_models, batch, features)."""

    def __init__(self, n_features, latent_size=2, hidden_size=64, betas=(1.0,), seed=0):
        super().__init__()
        generators = [torch.Generator().manual_seed(seed) for _ in betas]    # one start for all
        self.betas = torch.tensor(betas, dtype=torch.float32)
        self.latent_size = latent_size
        k = len(betas)
        self.encoder = parallel_mlp(k, (n_features, hidden_size, 2 * latent_size), generators, nn.Tanh)
        self.decoder = parallel_mlp(k, (latent_size, hidden_size, n_features), generators, nn.Tanh)

    def encode(self, x):
        """(mu, log_var) of q(z | x) for each model; ``x`` (batch, n_features) is shared."""
        if x.dim() == 2:
            x = x.expand(len(self.betas), *x.shape)
        return self.encoder(x).chunk(2, dim=-1)

    def decode(self, z):
        """Pixel probabilities for latent points ``z`` (n_models, batch, latent_size)."""
        return torch.sigmoid(self.decoder(z))

    def losses(self, x, generator=None):
        """Per model, the mean over the batch of (reconstruction, KL): the reconstruction term
        -log p(x | z) at one reparameterized draw, in nats, and the exact KL, in nats."""
        mu, log_var = self.encode(x)
        eps = torch.randn(mu.shape[-2:], generator=generator)       # the same noise for every model,
        z = mu + torch.exp(0.5 * log_var) * eps                      # each as if alone: the reparameterization trick
        logits = self.decoder(z)
        target = x.expand_as(logits)
        reconstruction = F.binary_cross_entropy_with_logits(logits, target, reduction="none").sum(-1)
        kl = 0.5 * (mu ** 2 + log_var.exp() - 1 - log_var).sum(-1)
        return reconstruction.mean(-1), kl.mean(-1)


def batch_loss(model, batch, generator):
    """Per model, reconstruction + beta * KL on a batch: what ``fit`` minimizes."""
    reconstruction, kl = model.losses(batch, generator)
    return reconstruction + model.betas * kl


def fit(model, X, epochs=100, batch_size=128, lr=1e-2, seed=0, record=None, every=10):
    """Adam on sum over models of (reconstruction + beta * KL); ``record(model)`` every ``every``
    epochs (and before training) gives the returned list, else each epoch's mean loss per model."""
    return training.fit(model, X, batch_loss, epochs, batch_size, lr, seed, record, every)


@torch.no_grad()
def evaluate(model, X, n_draws=10, seed=1):
    """Per model, the test (reconstruction, KL) in nats per example, the reconstruction term
    averaged over ``n_draws`` draws of z."""
    generator = torch.Generator().manual_seed(seed)
    draws = [model.losses(X, generator) for _ in range(n_draws)]
    reconstruction = torch.stack([d[0] for d in draws]).mean(0)
    return reconstruction.numpy(), draws[0][1].numpy()


@torch.no_grad()
def active_units(model, X, threshold=0.01):
    """Per model, how many latent dimensions carry information: those whose mean mu(x) varies
    across the inputs by more than ``threshold`` (Burda et al.'s activity); a collapsed
    dimension gives every input the same q(z | x)."""
    mu, _ = model.encode(X)
    return (mu.var(dim=1) > threshold).sum(-1).numpy()


@torch.no_grad()
def decoded_grid(model, index, n=10, extent=2.5):
    """Model ``index``'s decoder on an n x n grid of latent points in [-extent, extent]^2,
    as one (8n, 8n) image of 8 x 8 digits, the first latent coordinate across."""
    axis = torch.linspace(-extent, extent, n)
    z = torch.stack(torch.meshgrid(axis, axis.flip(0), indexing="xy"), dim=-1).reshape(1, -1, 2)
    z = z.expand(len(model.betas), -1, -1)
    images = model.decode(z)[index].reshape(n, n, 8, 8)
    return images.permute(0, 2, 1, 3).reshape(8 * n, 8 * n).numpy()


def independent_pixels_nll(X_train, X_test):
    """-log p(x) per test example, in nats, under independent pixels with the training mean
    as each one's probability: the best any decoder that ignores z can do, and the
    reconstruction term a collapsed VAE is left with."""
    p = X_train.mean(0).clamp(1e-6, 1 - 1e-6)
    return -(X_test * p.log() + (1 - X_test) * (1 - p).log()).sum(-1).mean().item()


def centroid_accuracy(train_codes, train_labels, test_codes, test_labels):
    """How often a test point's nearest class centroid (the mean code of that class's training
    points) is its own class: how well a code separates the classes it was never told."""
    classes = np.unique(train_labels)
    centroids = np.stack([train_codes[train_labels == c].mean(axis=0) for c in classes])
    nearest = classes[np.argmin(((test_codes[:, None] - centroids[None]) ** 2).sum(-1), axis=1)]
    return float((nearest == test_labels).mean())
