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
    chosen = F.one_hot(nearest, centroids.shape[-2]).to(u.dtype) @ centroids   # exactly the centroid
    return chosen + (mixture - mixture.detach()), nearest


class StateRegularizedGRUCell(nn.Module):
    """A GRU cell (torch's parameters, ``self.cell``) whose state snaps to ``n_centroids``
    learnable centroids (``centroids``, ([K models,] n_centroids, H)). The state before the first
    step is zero; a step returns (h', k*), and as a layer's state (``book.rnn.layers.Recurrent``)
    that pair is passed back in, h' passed on."""

    kind = "srgru"

    def __init__(self, input_size, hidden_size, n_models=None, n_centroids=8, temperature=1.0):
        super().__init__()
        self.cell = GRUCell(input_size, hidden_size, n_models)
        lead = () if n_models is None else (n_models,)
        self.centroids = nn.Parameter(torch.empty(*lead, n_centroids, hidden_size).uniform_(-0.5, 0.5))
        self.temperature = temperature
        self.hidden_size, self.n_models = hidden_size, n_models

    @torch.no_grad()
    def init_centroids_(self, x, generator=None):
        """Centroids drawn from the states u the cell reaches on inputs x (T, B, in) without
        snapping, so that every centroid starts where states are (one model)."""
        h, states = torch.zeros(x.shape[1], self.hidden_size), []
        for x_t in x:
            h = self.cell(x_t, h)
            states.append(h)
        states = torch.cat(states)
        picks = torch.randperm(len(states), generator=generator)[:self.centroids.shape[-2]]
        self.centroids.copy_(states[picks])

    def init_state(self, batch_size):
        return self.cell.init_state(batch_size)

    def step_parameters(self):
        return self.cell.step_parameters()

    def output(self, state):
        return state[0]

    def forward(self, x, h=None):
        """One step: (h', k*) for inputs x ([K,] B, in) and states h ([K,] B, H)."""
        h = self.init_state(x.shape[-2]) if h is None else h
        h = h[0] if isinstance(h, tuple) else h
        return snap(self.cell(x, h), self.centroids, self.temperature)
