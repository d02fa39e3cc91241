"""Backpropagation through time, written out, for whole sequences.

Each function runs a cell over a sequence (time first: x has shape (T, [K,] B, I)) and
returns every hidden state. Its backward pass is BPTT as derived on the chapter page: a loop
from the last step to the first that carries the total gradient dL/dh_t (and dL/dc_t for the
LSTM) back through the recurrence. Everything that does not depend on that chain - the gate
values, the local derivatives, the input and weight gradients - is computed for all steps at
once, so the loop itself is two to five tensor operations per step. The total dL/dh_t of every
step is at hand; its norm is recorded into ``record`` when one is given (a list; one tensor of
shape (T, [K]) is appended per backward pass).

The forward pass needs no autograd graph. One model runs on torch's own sequence kernel (the
one ``torch.nn.RNN``/``GRU``/``LSTM`` call, C++ or cuDNN); K models stacked along a leading
axis run the cells of ``book.rnn.cells`` step by step.
"""
import contextlib

import torch

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


def _step_norms(grads):
    return grads.detach().flatten(start_dim=-2).norm(dim=-1)


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


def _previous(h0, H):
    """h_{t-1} for every t: (T, [K,] B, H)."""
    return torch.cat([h0.unsqueeze(0), H[:-1]])


# out = input + a @ w, keyed by the weight's dimension: one model (addmm) or K models (baddbmm)
_MATMUL_ADD = {2: torch.addmm, 3: torch.baddbmm}


class TanhRNNFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, h0, weight_ih, weight_hh, bias_ih, bias_hh, record):
        H, _ = _run("rnn", x, h0, (weight_ih, weight_hh, bias_ih, bias_hh))
        ctx.save_for_backward(x, h0, weight_ih, weight_hh, H)
        ctx.record = record
        return H

    @staticmethod
    @denormals_flushed()
    def backward(ctx, dH):
        x, h0, weight_ih, weight_hh, H = ctx.saved_tensors
        matmul_add = _MATMUL_ADD[weight_hh.dim()]
        slope = 1 - H * H                                      # tanh'(a_t) for every t
        dA, G = torch.empty_like(H), torch.empty_like(H)      # dL/da_t, total dL/dh_t
        G[-1] = dH[-1]
        dAs, Gs, slopes, dHs = dA.unbind(), G.unbind(), slope.unbind(), dH.unbind()
        for t in range(len(H) - 1, 0, -1):
            torch.mul(Gs[t], slopes[t], out=dAs[t])
            matmul_add(dHs[t - 1], dAs[t], weight_hh, out=Gs[t - 1])
        torch.mul(Gs[0], slopes[0], out=dAs[0])
        if ctx.record is not None:
            ctx.record.append(_step_norms(G))
        db = dA.sum(dim=(0, -2))
        return (dA @ weight_ih, dAs[0] @ weight_hh, _outer_sum(dA, x),
                _outer_sum(dA, _previous(h0, H)), db, db, None)


class GRUFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, h0, weight_ih, weight_hh, bias_ih, bias_hh, record):
        H, _ = _run("gru", x, h0, (weight_ih, weight_hh, bias_ih, bias_hh))
        ctx.save_for_backward(x, h0, weight_ih, weight_hh, bias_ih, bias_hh, H)
        ctx.record = record
        return H

    @staticmethod
    @denormals_flushed()
    def backward(ctx, dH):
        x, h0, weight_ih, weight_hh, bias_ih, bias_hh, H = ctx.saved_tensors
        matmul_add = _MATMUL_ADD[weight_hh.dim()]
        H_prev = _previous(h0, H)
        i_r, i_z, i_n = linear(x, weight_ih, bias_ih).chunk(3, dim=-1)      # gates, all steps
        h_r, h_z, h_n = linear(H_prev, weight_hh, bias_hh).chunk(3, dim=-1)
        r, z = torch.sigmoid(i_r + h_r), torch.sigmoid(i_z + h_z)
        n = torch.tanh(i_n + r * h_n)
        # dL/d(hidden pre-activations) = dL/dh_t * coefficient; the coefficients need no chain
        c_n = (1 - z) * (1 - n * n)                            # for the candidate n
        coef = torch.stack([c_n * h_n * r * (1 - r),           # reset gate
                            (H_prev - n) * z * (1 - z),        # update gate
                            c_n * r], dim=-2)                  # hidden part of the candidate
        dGH = torch.empty_like(coef)                           # (T, [K,] B, 3, H)
        G = torch.empty_like(H)                                # total dL/dh_t
        G[-1] = dH[-1]
        dGHs, dGH_flat, coefs = dGH.unbind(), dGH.flatten(-2).unbind(), coef.unbind()
        Gs, G_col, zs, dHs = G.unbind(), G.unsqueeze(-2).unbind(), z.unbind(), dH.unbind()
        for t in range(len(H) - 1, 0, -1):
            torch.mul(G_col[t], coefs[t], out=dGHs[t])
            matmul_add(torch.addcmul(dHs[t - 1], Gs[t], zs[t]), dGH_flat[t], weight_hh,
                       out=Gs[t - 1])
        torch.mul(G_col[0], coefs[0], out=dGHs[0])
        if ctx.record is not None:
            ctx.record.append(_step_norms(G))
        dGH = dGH.flatten(-2)                                  # (T, [K,] B, 3H)
        dGI = torch.cat([dGH[..., :2 * H.shape[-1]], G * c_n], dim=-1)
        dh0 = dGH_flat[0] @ weight_hh + Gs[0] * zs[0]
        return (dGI @ weight_ih, dh0, _outer_sum(dGI, x), _outer_sum(dGH, H_prev),
                dGI.sum(dim=(0, -2)), dGH.sum(dim=(0, -2)), None)


class LSTMFunction(torch.autograd.Function):
    """Returns every hidden state and the last cell state."""

    @staticmethod
    def forward(ctx, x, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh, record):
        H, (_, c) = _run("lstm", x, (h0, c0), (weight_ih, weight_hh, bias_ih, bias_hh))
        ctx.save_for_backward(x, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh, H)
        ctx.record = record
        return H, c

    @staticmethod
    @denormals_flushed()
    def backward(ctx, dH, dc_last):
        x, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh, H = ctx.saved_tensors
        matmul_add = _MATMUL_ADD[weight_hh.dim()]
        H_prev = _previous(h0, H)
        gates = linear(x, weight_ih, bias_ih + bias_hh) + H_prev @ weight_hh.transpose(-1, -2)
        i, f, g, o = gates.chunk(4, dim=-1)
        i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
        C = i * g                                              # c_t = f_t c_{t-1} + i_t g_t
        Cs, fs = C.unbind(), f.unbind()
        Cs[0].addcmul_(fs[0], c0)
        for t in range(1, len(C)):
            Cs[t].addcmul_(fs[t], Cs[t - 1])
        TC = torch.tanh(C)
        k_c = o * (1 - TC * TC)                                # dh_t -> dc_t
        k_o = TC * o * (1 - o)                                 # dh_t -> output gate
        k_ifg = torch.stack([g * i * (1 - i), _previous(c0, C) * f * (1 - f), i * (1 - g * g)],
                            dim=-2)                            # dc_t -> i, f, g
        dA = x.new_empty(*k_ifg.shape[:-2], 4, H.shape[-1])    # (T, [K,] B, 4, H)
        G, D = torch.empty_like(H), torch.empty_like(H)       # total dL/dh_t, dL/dc_t
        G[-1] = dH[-1]
        torch.addcmul(dc_last, G[-1], k_c[-1], out=D[-1])
        Gs, Ds, D_col, dHs = G.unbind(), D.unbind(), D.unsqueeze(-2).unbind(), dH.unbind()
        dA_ifg, dA_o, dA_flat = dA[..., :3, :].unbind(), dA[..., 3, :].unbind(), dA.flatten(-2).unbind()
        k_cs, k_os, k_ifgs = k_c.unbind(), k_o.unbind(), k_ifg.unbind()
        for t in range(len(H) - 1, -1, -1):
            if t < len(H) - 1:
                torch.addcmul(Ds[t + 1] * fs[t + 1], Gs[t], k_cs[t], out=Ds[t])
            torch.mul(D_col[t], k_ifgs[t], out=dA_ifg[t])
            torch.mul(Gs[t], k_os[t], out=dA_o[t])
            if t:
                matmul_add(dHs[t - 1], dA_flat[t], weight_hh, out=Gs[t - 1])
        if ctx.record is not None:
            ctx.record.append(_step_norms(G))
        dA = dA.flatten(-2)                                    # (T, [K,] B, 4H)
        db = dA.sum(dim=(0, -2))
        return (dA @ weight_ih, dA_flat[0] @ weight_hh, Ds[0] * fs[0], _outer_sum(dA, x),
                _outer_sum(dA, H_prev), db, db, None)
