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
import torch

from .cells import RecurrentCell, linear
from .egru import Event


def gatel0rd_cell(x, h, weight_ih, weight_hh, bias_ih, bias_hh, noise=None):
    """One step: (h', gate, opened), ``opened`` = 1[s > 0] with the surrogate gradient;
    ``noise`` is added to the gate input s (training)."""
    s, c = (linear(x, weight_ih, bias_ih) + linear(h, weight_hh, bias_hh)).chunk(2, dim=-1)
    if noise is not None:
        s = s + noise
    gate = torch.relu(torch.tanh(s))
    return gate * torch.tanh(c) + (1 - gate) * h, gate, Event.apply(s)


class GateL0RDCell(RecurrentCell):
    """The course's cell parameters with two blocks, (gate, candidate), and GateL0RD's step."""

    kind = "gatel0rd"

    def forward(self, x, h=None, noise=None):
        """(h', gate, opened); as a layer's state (``book.rnn.layers.Recurrent``) that triple is
        passed back in, and only h' is read."""
        h = self.init_state(x.shape[-2]) if h is None else h
        h = h[0] if isinstance(h, tuple) else h
        return gatel0rd_cell(x, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh, noise)
