"""Recurrent cells written out, with the parameter names and shapes of torch.nn's cells.

A torch ``RNNCell``/``GRUCell``/``LSTMCell`` state dict loads into these unchanged. With
``n_models=K`` every parameter gets a leading dimension K: K independent networks that run
as one batched computation (inputs of shape (K, batch, features)), used to sweep settings.

    tanh RNN  h' = tanh(W_ih x + b_ih + W_hh h + b_hh)
    GRU       r = s(W_ir x + b_ir + W_hr h + b_hr)      reset gate
              z = s(W_iz x + b_iz + W_hz h + b_hz)      update gate
              n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
              h' = (1 - z) * n + z * h
    LSTM      i, f, g, o = s(.), s(.), tanh(.), s(.) of W_ih x + b_ih + W_hh h + b_hh
              c' = f * c + i * g,   h' = o * tanh(c')

Gate blocks are stacked in torch's order: (r, z, n) for the GRU, (i, f, g, o) for the LSTM.
"""
import math

import torch
from torch import nn

GATES = {"rnn": 1, "gru": 3, "lstm": 4, "egru": 3, "gatel0rd": 2, "ncgru": 3, "taugru": 4, "srgru": 3}    # stacked weight blocks


def linear(x, weight, bias=None):
    """x W^T + b for one model (2D weight) or K models (3D weight, x of shape (..., K, B, in))."""
    if weight.dim() == 2:
        return nn.functional.linear(x, weight, bias)           # one fused matrix product
    if x.dim() > 3:     # leading time axes: folded into one product per model (x @ W^T would
        out = torch.einsum("...kbi,koi->...kbo", x, weight)  # copy W once per time step)
    else:
        out = x @ weight.transpose(-1, -2)
    return out if bias is None else out + bias.unsqueeze(-2)


class RecurrentCell(nn.Module):
    """Parameters shared by the cells; ``kind`` is 'rnn', 'gru' or 'lstm' (or a research lab's
    cell: 'egru', 'gatel0rd', 'ncgru', 'taugru'). Drawn from ``generator`` when one is given."""

    kind = "rnn"

    def __init__(self, input_size, hidden_size, n_models=None, generator=None):
        super().__init__()
        self.input_size, self.hidden_size, self.n_models = input_size, hidden_size, n_models
        rows = GATES[self.kind] * hidden_size
        lead = () if n_models is None else (n_models,)
        self.weight_ih = nn.Parameter(torch.empty(*lead, rows, input_size))
        self.weight_hh = nn.Parameter(torch.empty(*lead, rows, hidden_size))
        self.bias_ih = nn.Parameter(torch.empty(*lead, rows))
        self.bias_hh = nn.Parameter(torch.empty(*lead, rows))
        self.reset_parameters(generator)

    @torch.no_grad()
    def reset_parameters(self, generator=None):
        """torch's default: every entry uniform in [-1/sqrt(H), 1/sqrt(H)]."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for weight in self.parameters():
            weight.uniform_(-bound, bound, generator=generator)

    def init_state(self, batch_size):
        lead = () if self.n_models is None else (self.n_models,)
        zeros = self.weight_hh.new_zeros(*lead, batch_size, self.hidden_size)
        return (zeros, zeros.clone()) if self.kind == "lstm" else zeros

    def step_parameters(self):
        """(weight_ih, weight_hh, bias_ih, bias_hh) as the step uses them (a cell that composes
        its weights from other parameters, such as the NC-GRU's, overrides this)."""
        return self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh

    def forward(self, x, state=None):
        state = self.init_state(x.shape[-2]) if state is None else state
        return STEPS[self.kind](x, state, *self.step_parameters())

    def output(self, state):
        """What the layer passes on from a state: h (the LSTM's state is (h, c))."""
        return state[0] if isinstance(state, tuple) else state


def rnn_cell(x, h, weight_ih, weight_hh, bias_ih, bias_hh):
    """One step of the tanh RNN (the functional form the cell modules call)."""
    return torch.tanh(linear(x, weight_ih, bias_ih) + linear(h, weight_hh, bias_hh))


def gru_cell(x, h, weight_ih, weight_hh, bias_ih, bias_hh):
    """One step of the GRU."""
    i_r, i_z, i_n = linear(x, weight_ih, bias_ih).chunk(3, dim=-1)
    h_r, h_z, h_n = linear(h, weight_hh, bias_hh).chunk(3, dim=-1)
    r = torch.sigmoid(i_r + h_r)
    z = torch.sigmoid(i_z + h_z)
    n = torch.tanh(i_n + r * h_n)
    return (1 - z) * n + z * h


def lstm_cell(x, state, weight_ih, weight_hh, bias_ih, bias_hh):
    """One step of the LSTM; ``state`` is (h, c)."""
    h, c = state
    gates = linear(x, weight_ih, bias_ih) + linear(h, weight_hh, bias_hh)
    i, f, g, o = gates.chunk(4, dim=-1)
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    return torch.sigmoid(o) * torch.tanh(c), c


STEPS = {"rnn": rnn_cell, "gru": gru_cell, "lstm": lstm_cell, "ncgru": gru_cell}   # NC-GRU: a GRU step


class RNNCell(RecurrentCell):
    kind = "rnn"


class GRUCell(RecurrentCell):
    kind = "gru"


class LSTMCell(RecurrentCell):
    kind = "lstm"


CELLS = {"rnn": RNNCell, "gru": GRUCell, "lstm": LSTMCell}
