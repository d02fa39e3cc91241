"""Pascanu, Mikolov and Bengio's one-unit RNN, whose loss surface has a cliff.

x_t = w * sigmoid(x_{t-1}) + b, x_0 = 0.5, for T = 50 steps; loss (x_T - 0.7)^2. Near the
(w, b) where the map x -> w sigmoid(x) + b changes from one fixed point to two (a
bifurcation), x_T jumps, and the loss surface has a wall: tiny there, huge gradients on it.
The surface is computed for arrays of (w, b) pairs at once; a descent, one point at a time,
differentiates along the recursion (``loss_and_gradient``).
"""
import math
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


def _sigmoid(x):
    """The logistic function of a float, without overflow for large |x|."""
    if x >= 0:
        return 1 / (1 + math.exp(-x))
    e = math.exp(x)
    return e / (1 + e)


def loss_and_gradient(w, b, n_steps=N_STEPS, target=TARGET):
    """The loss at one point (w, b) and its gradient, by forward-mode differentiation: the
    derivatives of x_t with respect to w and b are carried along the recursion,
        dx_t/dw = sigmoid(x_{t-1}) + w sigmoid'(x_{t-1}) dx_{t-1}/dw,
        dx_t/db = 1 + w sigmoid'(x_{t-1}) dx_{t-1}/db,
    in Python floats (float64): for one point a few dozen microseconds, where autograd's graph
    of 50 steps costs ten times more."""
    x, dx_dw, dx_db = X0, 0.0, 0.0
    for _ in range(n_steps):
        s = _sigmoid(x)
        slope = w * s * (1 - s)
        x, dx_dw, dx_db = w * s + b, s + slope * dx_dw, 1 + slope * dx_db
    error = x - target
    return error * error, np.array([2 * error * dx_dw, 2 * error * dx_db])


def descend(start, learning_rate, n_steps, clip=None):
    """Gradient descent from start = (w, b); with ``clip``, the gradient's norm is capped.
    A step thrown off the surface may overflow: its values become inf or nan, silently."""
    point = np.array(start, dtype=float)
    points, losses, norms = [point], [], []
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(n_steps):
            value, grad = loss_and_gradient(float(point[0]), float(point[1]))
            norm = math.hypot(*grad)
            if clip is not None and norm > clip:
                grad = grad * (clip / norm)
            point = point - learning_rate * grad
            points.append(point)
            losses.append(value)
            norms.append(norm)
    losses.append(loss_and_gradient(float(point[0]), float(point[1]))[0])
    return Path(np.array(points), np.array(losses), np.array(norms))


def fixed_points(w, b, lo=-50.0, hi=50.0, n_grid=200_001):
    """The fixed points x = w sigmoid(x) + b of the one-unit map (one, or three: two stable
    with an unstable one between them), located as sign changes of w sigmoid(x) + b - x on a
    fine grid and placed by linear interpolation."""
    x = np.linspace(lo, hi, n_grid)
    gap = w / (1 + np.exp(-x)) + b - x
    k = np.flatnonzero((gap[:-1] > 0) != (gap[1:] > 0))        # a zero on the grid counts once
    return x[k] - gap[k] * (x[k + 1] - x[k]) / (gap[k + 1] - gap[k])
