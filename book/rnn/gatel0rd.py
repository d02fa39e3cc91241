"""GateL0RD (Gumbsch, Butz & Martius 2021): a recurrent latent that changes only when a gate opens,
and a penalty on how often it does.

    s = W_ig x + b_ig + W_hg h + b_hg            (gate input; Gaussian noise added in training)
    gate = max(0, tanh(s))                        (ReTanh: exactly 0, closed, for s <= 0)
    candidate = tanh(W_ic x + b_ic + W_hc h + b_hc)
    h' = gate * candidate + (1 - gate) * h

A closed gate keeps the unit's latent exactly. The L0 penalty counts open gates, 1[s > 0], whose
derivative is taken through the event surrogate of ``book.rnn.egru``. Parameters are stacked
(gate, candidate) like torch's gate blocks; with ``n_models=K`` every parameter has a leading
model axis (the course's convention).
"""
import math

import torch
from torch import nn

from .cells import linear
from .egru import Event


def gatel0rd_cell(x, h, weight_ih, weight_hh, bias_ih, bias_hh, noise=None):
    """One step: (h', gate, opened), ``opened`` = 1[s > 0] with the surrogate gradient;
    ``noise`` is added to the gate input s (training)."""
    s, c = (linear(x, weight_ih, bias_ih) + linear(h, weight_hh, bias_hh)).chunk(2, dim=-1)
    if noise is not None:
        s = s + noise
    gate = torch.relu(torch.tanh(s))
    return gate * torch.tanh(c) + (1 - gate) * h, gate, Event.apply(s)


class GateL0RDCell(nn.Module):
    def __init__(self, input_size, hidden_size, n_models=None, generator=None):
        super().__init__()
        self.input_size, self.hidden_size, self.n_models = input_size, hidden_size, n_models
        lead = () if n_models is None else (n_models,)
        self.weight_ih = nn.Parameter(torch.empty(*lead, 2 * hidden_size, input_size))
        self.weight_hh = nn.Parameter(torch.empty(*lead, 2 * hidden_size, hidden_size))
        self.bias_ih = nn.Parameter(torch.empty(*lead, 2 * hidden_size))
        self.bias_hh = nn.Parameter(torch.empty(*lead, 2 * hidden_size))
        bound = 1 / math.sqrt(hidden_size)
        with torch.no_grad():
            for p in self.parameters():
                p.uniform_(-bound, bound, generator=generator)

    def init_state(self, batch_size):
        lead = () if self.n_models is None else (self.n_models,)
        return self.weight_hh.new_zeros(*lead, batch_size, self.hidden_size)

    def forward(self, x, h=None, noise=None):
        h = self.init_state(x.shape[-2]) if h is None else h
        return gatel0rd_cell(x, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh, noise)
