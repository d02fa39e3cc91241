"""Hamiltonian deep neural networks (Galimberti, Furieri, Xu, Ferrari-Trecate 2023) against a
plain residual network: do the backward sensitivities vanish with depth?

A network of N layers maps a state y_0 to y_N; training needs the sensitivities dy_N/dy_j,
products of the layers' Jacobians, which in a deep network may shrink towards zero (vanishing
gradients). The Hamiltonian network splits the state into y = (p, q) and takes semi-implicit
Euler steps of a Hamiltonian flow with step h,

    p_{j+1} = p_j - h K_j^T tanh(K_j q_j + b_j)
    q_{j+1} = q_j + h M_j^T tanh(M_j p_{j+1} + c_j),

two shears, each the gradient step of a scalar function (sum log cosh) of the other half. Each
layer's Jacobian A then satisfies A^T J A = J with J = [[0, I], [-I, 0]] (it is symplectic), so
does every product of them, and a symplectic matrix has norm at least 1: dy_N/dy_j cannot
vanish, whatever the weights. The residual network y_{j+1} = y_j + h W_j^T tanh(V_j y_j + b_j)
has no such constraint, and neither has the gradient-flow network y_{j+1} = y_j - h V_j^T
tanh(V_j y_j + b_j), a forward Euler step down the gradient of sum log cosh(V_j y + b_j): each
layer contracts while h ||V_j||^2 < 2, and the sensitivities shrink with depth. All three lift a point x of the plane
to y_0 = (x, 0) and classify y_N with a linear layer. The page chapters/labs/hamiltonian.md
measures them (in float64: a product of 32 Jacobians checked for symplecticity).
"""
import torch
from torch import nn


def classifier(n_features, n_classes, generator):
    """A linear layer initialized as nn.Linear is, from ``generator`` (not torch's global one)."""
    layer = nn.Linear(n_features, n_classes)
    bound = 1 / n_features ** 0.5
    with torch.no_grad():
        layer.weight.uniform_(-bound, bound, generator=generator)
        layer.bias.uniform_(-bound, bound, generator=generator)
    return layer


class Lifted(nn.Module):
    """What both kinds of network share: x lifted to y_0 = (x, 0), ``len(self)`` layers
    (``layer(j, y)``), a linear classifier on y_N. ``forward`` gives the class scores, so that
    ``book.nn.training.fit`` trains it as any classifier."""

    def forward(self, x):
        return self.classifier(states(self, x)[-1])


class HamiltonianNet(Lifted):
    """``depth`` semi-implicit Euler layers on y = (p, q), p and q of size ``n``, ``width``
    units per half-step, step ``h``, weights drawn with standard deviation ``scale``; a linear
    classifier on y_N."""

    def __init__(self, n=2, width=8, depth=32, h=0.25, scale=0.5, n_classes=2, seed=0):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.n, self.h = n, h
        self.K = nn.Parameter(scale * torch.randn(depth, width, n, generator=g))
        self.b = nn.Parameter(torch.zeros(depth, width))
        self.M = nn.Parameter(scale * torch.randn(depth, width, n, generator=g))
        self.c = nn.Parameter(torch.zeros(depth, width))
        self.classifier = classifier(2 * n, n_classes, g)

    def layer(self, j, y):
        p, q = y[:, :self.n], y[:, self.n:]
        p = p - self.h * torch.tanh(q @ self.K[j].T + self.b[j]) @ self.K[j]
        q = q + self.h * torch.tanh(p @ self.M[j].T + self.c[j]) @ self.M[j]
        return torch.cat([p, q], dim=1)

    def __len__(self):
        return len(self.K)


class ResidualNet(Lifted):
    """``depth`` residual layers y + h W^T tanh(V y + b) on a state of size 2 ``n``, ``width``
    hidden units each; a linear classifier on y_N. ``gradient_flow``: W = -V, the layer
    y - h V^T tanh(V y + b), a contraction."""

    def __init__(self, n=2, width=8, depth=32, h=0.25, n_classes=2, gradient_flow=False, seed=0):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.h, self.gradient_flow = h, gradient_flow
        self.V = nn.Parameter(torch.randn(depth, width, 2 * n, generator=g) / (2 * n) ** 0.5)
        self.b = nn.Parameter(torch.zeros(depth, width))
        if not gradient_flow:
            self.W = nn.Parameter(torch.randn(depth, width, 2 * n, generator=g) / width ** 0.5)
        self.classifier = classifier(2 * n, n_classes, g)

    def layer(self, j, y):
        W = -self.V[j] if self.gradient_flow else self.W[j]
        return y + self.h * torch.tanh(y @ self.V[j].T + self.b[j]) @ W

    def __len__(self):
        return len(self.V)


def states(model, x):
    """y_0 = (x, 0), y_1, ..., y_N: the states every layer passes on, (batch, 2n) each."""
    y = torch.cat([x, torch.zeros_like(x)], dim=1)
    ys = [y]
    for j in range(len(model)):
        y = model.layer(j, y)
        ys.append(y)
    return ys


def sensitivities(model, x):
    """dy_N/dy_j for every layer j and every point: (N + 1, batch, 2n, 2n), row k holding the
    gradient of y_N's k-th coordinate (one backward pass per coordinate)."""
    ys = states(model, x.detach().requires_grad_())
    rows = [torch.autograd.grad(ys[-1][:, k].sum(), ys, retain_graph=True)
            for k in range(ys[-1].shape[1])]
    return torch.stack([torch.stack(row, dim=1) for row in zip(*rows)])


def norms(sensitivity):
    """The spectral norm of each dy_N/dy_j: (N + 1, batch)."""
    return torch.linalg.matrix_norm(sensitivity, ord=2)


def symplecticity_error(sensitivity):
    """The largest entry of |S^T J S - J| over every S = dy_N/dy_j: zero for symplectic maps."""
    n = sensitivity.shape[-1] // 2
    eye = torch.eye(n, dtype=sensitivity.dtype)
    J = torch.cat([torch.cat([torch.zeros_like(eye), eye], 1), torch.cat([-eye, torch.zeros_like(eye)], 1)])
    return (sensitivity.transpose(-1, -2) @ J @ sensitivity - J).abs().max().item()
