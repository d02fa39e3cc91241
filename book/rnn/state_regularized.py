"""State-regularized recurrent cells (Wang & Niepert 2019): after every step the state snaps to
one of a few learnable centroids, so the network is a finite automaton that can be read off.

The cell computes u = f(x, h) (here a GRU step); with centroids c_1..c_K and a temperature t,

    alpha = softmax(-||u - c_k||^2 / t),    k* = argmax alpha,    h' = c_{k*}.

The paper's network passes on the mixture sum_k alpha_k c_k, which tends to the centroid c_{k*}
as t -> 0. We pass on the centroid itself in the forward pass and the mixture's derivative in the
backward pass (a straight-through estimator): h' = c_{k*} + (m - m.detach()), m the mixture. The
forward pass is then exactly an automaton over the centroids, whatever the temperature; the
centroid passed on also receives dL/dh' directly, which moves it where the loss wants the state.
"""
import torch
from torch import nn
from torch.nn import functional as F

from .cells import GRUCell


def snap(u, centroids, temperature=1.0):
    """(h', k*): the nearest centroid to each row of u, with the soft mixture's gradient."""
    distances = ((u.unsqueeze(-2) - centroids) ** 2).sum(-1)              # (B, K)
    mixture = torch.softmax(-distances / temperature, dim=-1) @ centroids
    nearest = distances.argmin(dim=-1)
    return centroids[nearest] + (mixture - mixture.detach()), nearest     # exactly the centroid


class StateRegularizedGRUCell(nn.Module):
    """A GRU cell (torch's parameters, ``self.cell``) whose state snaps to ``n_centroids``
    learnable centroids (``centroids``, (K, H)). The state before the first step is zero."""

    def __init__(self, input_size, hidden_size, n_centroids=8, temperature=1.0):
        super().__init__()
        self.cell = GRUCell(input_size, hidden_size)
        self.centroids = nn.Parameter(torch.zeros(n_centroids, hidden_size))
        self.temperature = temperature
        self.hidden_size = hidden_size

    @torch.no_grad()
    def init_centroids_(self, x, generator=None):
        """Centroids drawn from the states u the cell reaches on inputs x (T, B, in) without
        snapping, so that every centroid starts where states are."""
        h, states = torch.zeros(x.shape[1], self.hidden_size), []
        for x_t in x:
            h = self.cell(x_t, h)
            states.append(h)
        states = torch.cat(states)
        picks = torch.randperm(len(states), generator=generator)[:len(self.centroids)]
        self.centroids.copy_(states[picks])

    def forward(self, x, h=None):
        """One step: (h', k*) for inputs x (B, in) and states h (B, H)."""
        h = torch.zeros(x.shape[0], self.hidden_size) if h is None else h
        return snap(self.cell(x, h), self.centroids, self.temperature)
