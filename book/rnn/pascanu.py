"""Pascanu, Mikolov and Bengio's one-unit RNN, whose loss surface has a cliff.

x_t = w * sigmoid(x_{t-1}) + b, x_0 = 0.5, for T = 50 steps; loss (x_T - 0.7)^2. Near the
(w, b) where the map x -> w sigmoid(x) + b changes from one fixed point to two (a
bifurcation), x_T jumps, and the loss surface has a wall: tiny there, huge gradients on it.
Everything is vectorized over arrays of (w, b) pairs.
"""
from dataclasses import dataclass

import numpy as np
import torch

N_STEPS, X0, TARGET = 50, 0.5, 0.7


def final_state(w, b, n_steps=N_STEPS, x0=X0):
    x = torch.full_like(w, x0)
    for _ in range(n_steps):
        x = w * torch.sigmoid(x) + b
    return x


def loss(w, b, n_steps=N_STEPS, target=TARGET):
    return (final_state(w, b, n_steps) - target) ** 2


def loss_surface(ws, bs, n_steps=N_STEPS):
    """Loss on the grid ws x bs, as a numpy array of shape (len(bs), len(ws))."""
    W, B = torch.meshgrid(torch.as_tensor(ws, dtype=torch.float64),
                          torch.as_tensor(bs, dtype=torch.float64), indexing="xy")
    with torch.no_grad():
        return loss(W, B, n_steps).numpy()


@dataclass
class Path:
    points: np.ndarray        # (steps + 1, 2): (w, b) after every step
    loss: np.ndarray          # loss at every point
    grad_norm: np.ndarray     # gradient norm before clipping, at every step


def descend(start, learning_rate, n_steps, clip=None):
    """Gradient descent from start = (w, b); with ``clip``, the gradient's norm is capped."""
    point = torch.tensor(start, dtype=torch.float64)
    points, losses, norms = [point.numpy().copy()], [], []
    for _ in range(n_steps):
        p = point.clone().requires_grad_()
        value = loss(p[0], p[1])
        (grad,) = torch.autograd.grad(value, p)
        norm = grad.norm().item()
        if clip is not None and norm > clip:
            grad = grad * (clip / norm)
        point = (p - learning_rate * grad).detach()
        points.append(point.numpy().copy())
        losses.append(value.item())
        norms.append(norm)
    with torch.no_grad():
        losses.append(loss(point[0], point[1]).item())
    return Path(np.array(points), np.array(losses), np.array(norms))


def fixed_points(w, b, lo=-50.0, hi=50.0, n_grid=200_001):
    """The fixed points x = w sigmoid(x) + b of the one-unit map (one, or three: two stable
    with an unstable one between them), located as sign changes of w sigmoid(x) + b - x on a
    fine grid and placed by linear interpolation."""
    x = np.linspace(lo, hi, n_grid)
    gap = w / (1 + np.exp(-x)) + b - x
    k = np.flatnonzero((gap[:-1] > 0) != (gap[1:] > 0))        # a zero on the grid counts once
    return x[k] - gap[k] * (x[k + 1] - x[k]) / (gap[k + 1] - gap[k])
