"""The event-based GRU (EGRU, Subramoney et al. 2023): units that speak only when they cross a
threshold.

Each unit keeps an internal state c and emits an event when c crosses its threshold theta; it
then sends y = c (and is reset by subtracting theta), otherwise it sends 0. The gates read the
previous *output* y, so a silent unit costs nothing in the next step's recurrent product:

    r = s(W_ir x + b_ir + W_hr y + b_hr),   u = s(W_iz x + b_iz + W_hz y + b_hz)
    n = tanh(W_in x + b_in + r * (W_hn y + b_hn))
    c' = (1 - u) * n + u * c - e * theta,   e' = H(c' - theta),   y' = e' * c'

(parameters named and shaped as torch.nn.GRUCell's, gate blocks (r, z, n); ``threshold`` (H,)).
The step H has no useful derivative; backpropagation uses a surrogate, a triangle of half-width
``SURROGATE_WIDTH`` around the threshold (``Event``). With events always on and theta = 0 the
cell is torch's GRU on c.
"""
import torch
from torch import nn

from .cells import RecurrentCell, linear

SURROGATE_WIDTH = 0.5
SURROGATE_HEIGHT = 0.3


class Event(torch.autograd.Function):
    """H(v) forward; backward the surrogate derivative height * max(0, 1 - |v| / width) / width."""

    @staticmethod
    def forward(ctx, v):
        ctx.save_for_backward(v)
        return (v > 0).to(v.dtype)

    @staticmethod
    def backward(ctx, grad):
        v, = ctx.saved_tensors
        return grad * SURROGATE_HEIGHT * (1 - v.abs() / SURROGATE_WIDTH).clamp(min=0) / SURROGATE_WIDTH


def egru_cell(x, state, weight_ih, weight_hh, bias_ih, bias_hh, threshold, events=True):
    """One step: state (c, e) -> (c', e'); the output is ``c' * e'`` (``output``). With
    ``events=False`` every unit speaks at every step and nothing is subtracted (a GRU on c)."""
    c, e = state
    y = c * e
    i_r, i_z, i_n = linear(x, weight_ih, bias_ih).chunk(3, dim=-1)
    h_r, h_z, h_n = linear(y, weight_hh, bias_hh).chunk(3, dim=-1)
    r = torch.sigmoid(i_r + h_r)
    u = torch.sigmoid(i_z + h_z)
    n = torch.tanh(i_n + r * h_n)
    if not events:
        c = (1 - u) * n + u * c
        return c, torch.ones_like(c)
    c = (1 - u) * n + u * c - e * threshold
    return c, Event.apply(c - threshold)


def output(state):
    """What the units send: c where an event fired, 0 elsewhere."""
    c, e = state
    return c * e


class EGRUCell(RecurrentCell):
    """An EGRU layer's parameters (torch.nn.GRUCell's, plus a threshold per unit) and its step."""

    kind = "egru"

    def __init__(self, input_size, hidden_size, n_models=None, threshold_range=(0.4, 0.6), generator=None):
        super().__init__(input_size, hidden_size, n_models, generator)
        shape = (hidden_size,) if n_models is None else (n_models, 1, hidden_size)
        self.threshold = nn.Parameter(torch.empty(shape).uniform_(*threshold_range, generator=generator))

    def init_state(self, batch_size):
        zeros = super().init_state(batch_size)
        return zeros, zeros.clone()

    def output(self, state):
        return output(state)

    def forward(self, x, state=None, events=True):
        state = self.init_state(x.shape[-2]) if state is None else state
        return egru_cell(x, state, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh,
                         self.threshold, events)
