"""The tau-GRU (Erichson, Lim & Mahoney 2022): a gated unit with weighted time-delay feedback.

A delay differential equation discretized: besides the candidate u from the current state, a
second candidate z reads the state of ``delay`` steps ago, weighted per unit by a gate a:

    u = tanh(W_u h_n + V_u x + b_u)             candidate from now
    g = s(W_g h_n + V_g x + b_g)                update gate
    a = s(W_a h_n + V_a x + b_a)                weight of the delayed feedback
    z = tanh(W_z h_{n-delay} + V_z x + b_z)     candidate from the past
    h_{n+1} = (1 - g) * h_n + g * (u + a * z)

The state before the first step is zero, and so is every "past" state before it. With
``delay=0`` both candidates read h_n. Parameters
are the course's cell parameters with four blocks stacked (u, g, a, z): ``weight_ih`` (4H, in),
``weight_hh`` (4H, H), whose last block W_z reads the delayed state.

On the CPU a whole sequence runs on the compiled loops of ``fused.cpp`` (``TauGRUFunction``,
its backward written out: the gradient of a state gathers the step after it and the step
``delay`` after it); elsewhere, step by step under autograd.
"""
import torch

from . import fused
from .bptt import _step_norms
from .cells import RecurrentCell, linear


def taugru_cell(x, h, h_delayed, weight_ih, weight_hh, bias_ih, bias_hh):
    """One step from the current state ``h`` and the state ``delay`` steps ago."""
    hidden = h.shape[-1]
    i_u, i_g, i_a, i_z = linear(x, weight_ih, bias_ih).chunk(4, dim=-1)
    h_u, h_g, h_a = linear(h, weight_hh[..., :3 * hidden, :]).chunk(3, dim=-1)
    b_u, b_g, b_a, b_z = bias_hh.chunk(4, dim=-1)
    u = torch.tanh(i_u + h_u + b_u)
    g = torch.sigmoid(i_g + h_g + b_g)
    a = torch.sigmoid(i_a + h_a + b_a)
    z = torch.tanh(i_z + linear(h_delayed, weight_hh[..., 3 * hidden:, :]) + b_z)
    return (1 - g) * h + g * (u + a * z)


class TauGRUCell(RecurrentCell):
    """tau-GRU parameters and its step. The state is the tuple of the last ``delay + 1`` hidden
    states, newest first, (h_n, h_{n-1}, ..., h_{n-delay}); the layer passes on h_n."""

    kind = "taugru"

    def __init__(self, input_size, hidden_size, n_models=None, delay=10, generator=None):
        super().__init__(input_size, hidden_size, n_models, generator)
        self.delay = delay

    def init_state(self, batch_size):
        zeros = super().init_state(batch_size)
        return (zeros,) * (self.delay + 1)

    def forward(self, x, state=None):
        state = self.init_state(x.shape[-2]) if state is None else state
        h = taugru_cell(x, state[0], state[-1], self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return (h,) + state[:-1] if self.delay else (h,)


def past_of(state):
    """A state tuple (newest first) as the compiled loops' ``past``: (delay + 1, B, H), oldest first."""
    return torch.stack(state[::-1])


def state_after(past, H):
    """The state tuple after a sequence: the last delay + 1 of past and H, newest first."""
    every = torch.cat([past, H])
    return tuple(every[-1 - k] for k in range(len(past)))


class TauGRUFunction(torch.autograd.Function):
    """A tau-GRU layer over a sequence on the compiled loops: all states H (T, B, H) from
    inputs x (T, B, in) and ``past`` (``past_of``). ``record`` (a list or None) gets the norms
    of the total dL/dh_t of each backward pass."""

    @staticmethod
    def forward(ctx, x, past, weight_ih, weight_hh, bias_ih, bias_hh, delay, record):
        gi = linear(x, weight_ih, bias_ih + bias_hh)      # every block adds both biases as they are
        H, gates = fused.ops().taugru_forward(gi, past, weight_hh, delay)
        ctx.save_for_backward(x, past, weight_ih, weight_hh, H, gates)
        ctx.delay, ctx.record = delay, record
        return H

    @staticmethod
    def backward(ctx, dH):
        x, past, weight_ih, weight_hh, H, gates = ctx.saved_tensors
        delay, steps = ctx.delay, len(x)
        G, dpast, dA3, dZ = fused.ops().taugru_backward(dH, gates, H, past, weight_hh, delay)
        if ctx.record is not None:
            ctx.record.append(_step_norms(G))
        every = torch.cat([past, H])                       # state s is every[s + delay]
        now, delayed = every[delay:delay + steps], every[:steps]
        dGI = torch.cat([dA3, dZ], dim=-1)
        d_weight_hh = torch.cat([dA3.flatten(0, 1).T @ now.flatten(0, 1),
                                 dZ.flatten(0, 1).T @ delayed.flatten(0, 1)])
        d_bias = dGI.sum(dim=(0, 1))
        return (dGI @ weight_ih, dpast, dGI.flatten(0, 1).T @ x.flatten(0, 1), d_weight_hh,
                d_bias, d_bias, None, None)
