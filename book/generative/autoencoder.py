"""Autoencoders: a network trained to give back its input through a narrow code.

An encoder maps x (n_features numbers) to a code z (n_components numbers), a decoder maps z
back to x_hat, and both learn to make the mean squared reconstruction error small:

    z = encoder(x),   x_hat = decoder(z),   L = mean ||x - x_hat||^2 .

With linear layers (x_hat = D E (x - mean) + mean) the best k-unit code is PCA's: D E is then the
projection onto the top-k principal subspace, whose error is the sum of the variances left out
(Baldi & Hornik 1989); gradient descent finds that subspace, though not its axes (any
invertible mix of them reconstructs as well). Layers that bend (tanh) can fold a curved set of
examples into fewer numbers than any flat subspace. Trained to reconstruct the clean x from a
corrupted copy, it becomes a denoising autoencoder (Vincent et al. 2008); and since it only
learns to reconstruct what it was shown, a large error marks an unusual input.
"""
import numpy as np
import torch
from torch import nn

from book.classical.pca import PCA
from book.nn.dense import MLP

from . import training


class Autoencoder(nn.Module):
    """Encoder: [Linear -> activation] once if ``hidden_size`` is given, then Linear to the
    code; the decoder mirrors it (both ``book.nn.dense.MLP``). No hidden layer and
    ``activation="linear"``: the linear autoencoder."""

    def __init__(self, n_features, n_components, hidden_size=None, activation="tanh", seed=0):
        super().__init__()
        torch.manual_seed(seed)
        depth = 0 if hidden_size is None else 1
        self.encoder = MLP(n_features, hidden_size, depth, n_components, activation)
        self.decoder = MLP(n_components, hidden_size, depth, n_features, activation)

    def forward(self, x):
        return self.decoder(self.encoder(x))


def fit(model, X, epochs=100, batch_size=64, lr=1e-2, noise=0.0, seed=0, record=None, every=1):
    """Adam on the mean squared reconstruction error of the rows of ``X`` (a float tensor).

    With ``noise`` > 0 each batch is fed with Gaussian noise of that standard deviation added
    and the clean batch is the target: a denoising autoencoder. ``record(model)``, if given,
    is called before training and after every ``every`` epochs; the list of its values is
    returned (else the mean training loss of each epoch)."""
    def batch_loss(model, target, generator):
        given = target + noise * torch.randn(target.shape, generator=generator) if noise else target
        return ((model(given) - target) ** 2).sum(dim=1).mean()
    return training.fit(model, X, batch_loss, epochs, batch_size, lr, seed, record, every)


@torch.no_grad()
def reconstruction_error(model, X):
    """Each row's squared reconstruction error ||x - x_hat||^2, as a numpy array."""
    return ((model(X) - X) ** 2).sum(dim=1).numpy()


def pca_errors(X_fit, n_components, given, target=None):
    """Each row's squared error ||target - x_hat||^2 when PCA with ``n_components`` axes, fitted
    on ``X_fit``, reconstructs the rows of ``given`` (``target``: default ``given``): the
    linear baseline of every autoencoder on the autoencoders page."""
    pca = PCA(n_components).fit(X_fit)
    reconstructed = pca.inverse_transform(pca.transform(given))
    return ((reconstructed - (given if target is None else target)) ** 2).sum(axis=1)


def linear_decoder_basis(model):
    """The columns that span a linear autoencoder's reconstructions (its decoder's weight)."""
    return model.decoder[-1].weight.detach().numpy()


def principal_angle_cosines(A, B):
    """Cosines of the principal angles between the column spaces of A and B (all 1: the same
    subspace), from the singular values of Q_A^T Q_B."""
    qa, _ = np.linalg.qr(A)
    qb, _ = np.linalg.qr(B)
    return np.linalg.svd(qa.T @ qb, compute_uv=False)


def roc_auc(normal_scores, unusual_scores):
    """The probability that an unusual example scores higher than a normal one (ties half):
    the area under the ROC curve of the score as a detector."""
    normal, unusual = np.asarray(normal_scores), np.asarray(unusual_scores)
    higher = (unusual[:, None] > normal[None, :]).mean()
    ties = (unusual[:, None] == normal[None, :]).mean()
    return higher + 0.5 * ties
