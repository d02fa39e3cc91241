"""Backpropagation through time, written out, for whole sequences.

Each function runs a cell over a sequence (time first: x has shape (T, [K,] B, I)) and
returns every hidden state. Its backward pass is BPTT as derived on the chapter page: a loop
from the last step to the first that carries the total gradient dL/dh_t (and dL/dc_t for the
LSTM) back through the recurrence. Everything that does not depend on that chain - the local
derivatives, the input and weight gradients - is computed for all steps at once, so the loop
itself is two to five tensor operations per step. The total dL/dh_t of every step is at
hand; its norm is recorded into ``record`` when one is given (a list; one tensor of shape
(T, [K]) is appended per backward pass). Gradients nobody asked for (of the input sequence and
the initial state, usually) are not computed.

The forward pass needs no autograd graph. It keeps the gate values the backward pass needs.
One model runs on torch's own sequence kernel (the one ``torch.nn.RNN``/``GRU``/``LSTM``
call, C++ or cuDNN) and its gates are then recomputed for all steps at once; K models stacked
along a leading axis run the cells of ``book.rnn.cells`` step by step.

On the CPU, one model's step-by-step loops run compiled when they can (``book.rnn.fused``):
the same loops, each step's element-wise work fused into one pass. The ``_*_forward`` and
``_*_chain`` functions below are the reference they are tested against.
"""
import contextlib

import torch

from . import fused
from .cells import STEPS, linear


def _outer_sum(a, b):
    """sum over time and batch of a_t^T b_t: (T, [K,] B, m), (T, [K,] B, n) -> ([K,] m, n).

    One matrix product over the flattened (time, batch) axis (einsum picks a layout that
    copies whole sequences here)."""
    if a.dim() == 3:
        return a.reshape(-1, a.shape[-1]).T @ b.reshape(-1, b.shape[-1])
    lead = torch.broadcast_shapes(a.shape[:-1], b.shape[:-1])     # inputs broadcast over models
    a, b = a.expand(*lead, a.shape[-1]), b.expand(*lead, b.shape[-1])
    models = lead[1]
    a = a.transpose(0, 1).reshape(models, -1, a.shape[-1])
    b = b.transpose(0, 1).reshape(models, -1, b.shape[-1])
    return a.transpose(1, 2) @ b


def _outer_sum_previous(dA, h0, H):
    """sum over t of dA_t^T h_{t-1} (the recurrent weight's gradient), without copying H."""
    return _outer_sum(dA[1:], H[:-1]) + _outer_sum(dA[:1], h0.unsqueeze(0))


def _step_norms(grads):
    return torch.linalg.vector_norm(grads.detach().flatten(start_dim=-2), dim=-1)


def _previous(h0, H):
    """h_{t-1} for every t: (T, [K,] B, H)."""
    return torch.cat([h0.unsqueeze(0), H[:-1]])


def _run(kind, x, state, params):
    """All hidden states (T, [K,] B, H) and the final state, without autograd."""
    h0 = state[0] if kind == "lstm" else state
    if h0.dim() == 2:
        kernel = {"rnn": torch._VF.rnn_tanh, "gru": torch._VF.gru, "lstm": torch._VF.lstm}[kind]
        hx = tuple(s.unsqueeze(0) for s in state) if kind == "lstm" else state.unsqueeze(0)
        H, *final = kernel(x, hx, list(params), True, 1, 0.0, False, False, False)
        return H, (final[0][0], final[1][0]) if kind == "lstm" else H[-1]
    outputs = []
    for x_t in x:
        state = STEPS[kind](x_t, state, *params)
        outputs.append(state[0] if kind == "lstm" else state)
    return torch.stack(outputs), state


@contextlib.contextmanager
def denormals_flushed():
    """Treat floats below 1e-38 as 0 on the CPU. Vanishing gradients produce such denormal
    numbers by the thousand, and CPUs handle them up to 100x slower than ordinary ones; a norm
    that small reads as 0 on every plot anyway. (Turns flushing off again afterwards.)"""
    torch.set_flush_denormal(True)
    try:
        yield
    finally:
        torch.set_flush_denormal(False)


# out = input + a @ w, keyed by the weight's dimension: one model (addmm) or K models (baddbmm)
_MATMUL_ADD = {2: torch.addmm, 3: torch.baddbmm}


def _chain(dH, coef, z, weight_hh):
    """The backward chain of the tanh RNN and the GRU, from the last step to the first.

    dH: dL/dh_t from the outputs (T, [K,] B, H); coef: for every step the factors from the
    total dL/dh_t to the hidden pre-activations (T, [K,] B, gates, H); z: the GRU's update
    gate (None for the RNN). Per step:
        dGH_t       = dL/dh_t * coef_t                        (broadcast over the gates)
        dL/dh_{t-1} = dH_{t-1} + z_t * dL/dh_t + dGH_t W_hh
    Returns the total dL/dh_t (T, [K,] B, H) and dGH (T, [K,] B, gates, H).
    """
    matmul_add = _MATMUL_ADD[weight_hh.dim()]
    G, dGH = torch.empty_like(dH), torch.empty_like(coef)
    G[-1] = dH[-1]
    Gs, G_col, dHs = G.unbind(), G.unsqueeze(-2).unbind(), dH.unbind()
    coefs, dGHs, dGH_flat = coef.unbind(), dGH.unbind(), dGH.flatten(-2).unbind()
    zs = None if z is None else z.unbind()
    for t in range(len(dH) - 1, -1, -1):
        torch.mul(G_col[t], coefs[t], out=dGHs[t])
        if t:
            carried = dHs[t - 1] if z is None else torch.addcmul(dHs[t - 1], Gs[t], zs[t])
            matmul_add(carried, dGH_flat[t], weight_hh, out=Gs[t - 1])
    return G, dGH


# ---- tanh RNN: h_t = tanh(a_t) -----------------------------------------------------------

def _rnn_chain(dH, H, weight_hh):
    """The total dL/dh_t and dL/da_t (T, [K,] B, H)."""
    if fused.usable(weight_hh):
        return fused.ops().rnn_backward(dH, H, weight_hh)
    G, dA = _chain(dH, (1 - H * H).unsqueeze(-2), None, weight_hh)      # tanh' = 1 - h^2
    return G, dA.squeeze(-2)


def _rnn_forward(x, h0, weight_ih, weight_hh, bias_ih, bias_hh):
    """Every hidden state (T, [K,] B, H)."""
    if fused.usable(weight_hh):
        return fused.ops().rnn_forward(linear(x, weight_ih, bias_ih), h0, weight_hh, bias_hh)
    return _run("rnn", x, h0, (weight_ih, weight_hh, bias_ih, bias_hh))[0]


class TanhRNNFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, h0, weight_ih, weight_hh, bias_ih, bias_hh, record):
        H = _rnn_forward(x, h0, weight_ih, weight_hh, bias_ih, bias_hh)
        ctx.save_for_backward(x, h0, weight_ih, weight_hh, H)
        ctx.record = record
        return H

    @staticmethod
    @denormals_flushed()
    def backward(ctx, dH):
        x, h0, weight_ih, weight_hh, H = ctx.saved_tensors
        G, dA = _rnn_chain(dH, H, weight_hh)
        if ctx.record is not None:
            ctx.record.append(_step_norms(G))
        db = dA.sum(dim=(0, -2))
        need_x, need_h0 = ctx.needs_input_grad[:2]
        return (dA @ weight_ih if need_x else None, dA[0] @ weight_hh if need_h0 else None,
                _outer_sum(dA, x), _outer_sum_previous(dA, h0, H), db, db, None)


# ---- GRU ---------------------------------------------------------------------------------

def _gru_forward(x, h0, weight_ih, weight_hh, bias_ih, bias_hh):
    """Every hidden state and the gates r, z, n and h_n = W_hn h + b_hn, (T, [K,] B, 4, H)."""
    gi = linear(x, weight_ih, bias_ih)
    if fused.usable(weight_hh):
        return fused.ops().gru_forward(gi, h0, weight_hh, bias_hh)
    H, _ = _run("gru", x, h0, (weight_ih, weight_hh, bias_ih, bias_hh))
    i_r, i_z, i_n = gi.chunk(3, dim=-1)                               # gates, all steps
    h_r, h_z, h_n = linear(_previous(h0, H), weight_hh, bias_hh).chunk(3, dim=-1)
    r, z = torch.sigmoid(i_r + h_r), torch.sigmoid(i_z + h_z)
    return H, torch.stack([r, z, torch.tanh(i_n + r * h_n), h_n], dim=-2)


def _gru_chain(dH, gates, h0, H, weight_hh):
    """The total dL/dh_t and the gradients of the input-side and hidden-side pre-activations,
    dGI and dGH (T, [K,] B, 3H)."""
    if fused.usable(weight_hh):
        return fused.ops().gru_backward(dH, gates, h0, H, weight_hh)
    r, z, n, h_n = gates.unbind(-2)
    # dL/d(hidden pre-activations) = dL/dh_t * coefficient; the coefficients need no chain
    c_n = (1 - z) * (1 - n * n)                                # for the candidate n
    coef = torch.stack([c_n * h_n * r * (1 - r),               # reset gate
                        (_previous(h0, H) - n) * z * (1 - z),  # update gate
                        c_n * r], dim=-2)                      # hidden part of the candidate
    G, dGH = _chain(dH, coef, z, weight_hh)
    dGI = torch.cat([dGH[..., :2, :], (G * c_n).unsqueeze(-2)], dim=-2)
    return G, dGI.flatten(-2), dGH.flatten(-2)


class GRUFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, h0, weight_ih, weight_hh, bias_ih, bias_hh, record):
        H, gates = _gru_forward(x, h0, weight_ih, weight_hh, bias_ih, bias_hh)
        ctx.save_for_backward(x, h0, weight_ih, weight_hh, H, gates)
        ctx.record = record
        return H

    @staticmethod
    @denormals_flushed()
    def backward(ctx, dH):
        x, h0, weight_ih, weight_hh, H, gates = ctx.saved_tensors
        G, dGI, dGH = _gru_chain(dH, gates, h0, H, weight_hh)
        if ctx.record is not None:
            ctx.record.append(_step_norms(G))
        need_x, need_h0 = ctx.needs_input_grad[:2]
        dh0 = dGH[0] @ weight_hh + G[0] * gates[0, ..., 1, :] if need_h0 else None    # z_0
        return (dGI @ weight_ih if need_x else None, dh0, _outer_sum(dGI, x),
                _outer_sum_previous(dGH, h0, H), dGI.sum(dim=(0, -2)), dGH.sum(dim=(0, -2)), None)


# ---- LSTM --------------------------------------------------------------------------------

def _lstm_forward(x, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh):
    """Every hidden state, every cell state and the gates i, f, g, o (T, [K,] B, 4, H)."""
    gi = linear(x, weight_ih, bias_ih + bias_hh)
    if fused.usable(weight_hh):
        return fused.ops().lstm_forward(gi, h0, c0, weight_hh)
    H, _ = _run("lstm", x, (h0, c0), (weight_ih, weight_hh, bias_ih, bias_hh))
    a = gi + linear(_previous(h0, H), weight_hh)
    i, f, g, o = a.unflatten(-1, (4, -1)).unbind(-2)
    i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
    C = i * g                                                  # c_t = f_t c_{t-1} + i_t g_t
    Cs, fs = C.unbind(), f.unbind()
    Cs[0].addcmul_(fs[0], c0)
    for t in range(1, len(C)):
        Cs[t].addcmul_(fs[t], Cs[t - 1])
    return H, C, torch.stack([i, f, g, o], dim=-2)


def _lstm_chain(dH, dc_last, gates, C, c0, weight_hh):
    """The backward chain of the LSTM, through the hidden state and the cell state. Per step:
        dL/dc_t     = dL/dc_{t+1} * f_{t+1} + dL/dh_t * o_t (1 - tanh^2 c_t)
        dA_t        = pre-activation gradients of i, f, g (from dL/dc_t) and o (from dL/dh_t)
        dL/dh_{t-1} = dH_{t-1} + dA_t W_hh
    Returns the total dL/dh_t and dL/dc_t (T, [K,] B, H) and dA (T, [K,] B, 4H).
    """
    if fused.usable(weight_hh):
        return fused.ops().lstm_backward(dH, dc_last, gates, C, c0, weight_hh)
    i, f, g, o = gates.unbind(-2)
    TC = torch.tanh(C)
    k_c = o * (1 - TC * TC)                                    # dh_t -> dc_t
    k_o = TC * o * (1 - o)                                     # dh_t -> output gate
    k_ifg = torch.stack([g * i * (1 - i), _previous(c0, C) * f * (1 - f), i * (1 - g * g)],
                        dim=-2)                                # dc_t -> i, f, g
    matmul_add = _MATMUL_ADD[weight_hh.dim()]
    dA = dH.new_empty(*k_ifg.shape[:-2], 4, dH.shape[-1])
    G, D = torch.empty_like(dH), torch.empty_like(dH)
    G[-1] = dH[-1]
    torch.addcmul(dc_last, G[-1], k_c[-1], out=D[-1])
    Gs, Ds, D_col, dHs = G.unbind(), D.unbind(), D.unsqueeze(-2).unbind(), dH.unbind()
    fs, k_cs, k_os, k_ifgs = f.unbind(), k_c.unbind(), k_o.unbind(), k_ifg.unbind()
    dA_ifg, dA_o, dA_flat = dA[..., :3, :].unbind(), dA[..., 3, :].unbind(), dA.flatten(-2).unbind()
    for t in range(len(dH) - 1, -1, -1):
        if t < len(dH) - 1:
            torch.addcmul(Ds[t + 1] * fs[t + 1], Gs[t], k_cs[t], out=Ds[t])
        torch.mul(D_col[t], k_ifgs[t], out=dA_ifg[t])
        torch.mul(Gs[t], k_os[t], out=dA_o[t])
        if t:
            matmul_add(dHs[t - 1], dA_flat[t], weight_hh, out=Gs[t - 1])
    return G, D, dA.flatten(-2)


class LSTMFunction(torch.autograd.Function):
    """Returns every hidden state and the last cell state."""

    @staticmethod
    def forward(ctx, x, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh, record):
        H, C, gates = _lstm_forward(x, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh)
        ctx.save_for_backward(x, h0, c0, weight_ih, weight_hh, H, C, gates)
        ctx.record = record
        return H, C[-1]

    @staticmethod
    @denormals_flushed()
    def backward(ctx, dH, dc_last):
        x, h0, c0, weight_ih, weight_hh, H, C, gates = ctx.saved_tensors
        G, D, dA = _lstm_chain(dH, dc_last, gates, C, c0, weight_hh)
        if ctx.record is not None:
            ctx.record.append(_step_norms(G))
        db = dA.sum(dim=(0, -2))
        need_x, need_h0, need_c0 = ctx.needs_input_grad[:3]
        return (dA @ weight_ih if need_x else None, dA[0] @ weight_hh if need_h0 else None,
                D[0] * gates[0, ..., 1, :] if need_c0 else None, _outer_sum(dA, x),
                _outer_sum_previous(dA, h0, H), db, db, None)
