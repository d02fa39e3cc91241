"""Backpropagation through time, written out, for whole sequences.

Each function runs a cell over a sequence (time first: x has shape (T, [K,] B, I)) and
returns every hidden state. Its backward pass is BPTT as derived on the chapter page: a loop
from the last step to the first that carries dL/dh_t (and dL/dc_t for the LSTM) back through
the recurrence; everything that does not depend on that chain (input and weight gradients,
gate derivatives) is computed for all steps at once. Two gains over a step-by-step autograd
loop: far fewer operations per step, and the total gradient dL/dh_t of every step is at hand
- its norm is recorded into ``record`` when one is given (a list; one tensor per backward of
shape (T, [K]) is appended).
"""
import torch

from .cells import linear


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


class TanhRNNFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, h0, weight_ih, weight_hh, bias_ih, bias_hh, record):
        xw = linear(x, weight_ih, bias_ih + bias_hh)           # all input terms at once
        H = torch.empty_like(xw)
        w_hh_t = weight_hh.transpose(-1, -2)
        h = h0
        for t in range(len(x)):
            h = torch.tanh_(torch.add(xw[t], h @ w_hh_t, out=H[t]))
        ctx.save_for_backward(x, h0, weight_ih, weight_hh, H)
        ctx.record = record
        return H

    @staticmethod
    def backward(ctx, dH):
        x, h0, weight_ih, weight_hh, H = ctx.saved_tensors
        slope = 1 - H * H                                      # tanh'(a_t) for every t
        dA, dH_total = torch.empty_like(H), torch.empty_like(H)
        dh = torch.zeros_like(h0)
        for t in reversed(range(len(H))):
            torch.add(dH[t], dh, out=dH_total[t])              # total dL/dh_t
            torch.mul(dH_total[t], slope[t], out=dA[t])        # dL/da_t
            dh = dA[t] @ weight_hh                             # into dL/dh_{t-1}
        if ctx.record is not None:
            ctx.record.append(_step_norms(dH_total))
        H_prev = torch.cat([h0.unsqueeze(0), H[:-1]])
        db = dA.sum(dim=(0, -2))
        return (dA @ weight_ih, dh, _outer_sum(dA, x), _outer_sum(dA, H_prev), db, db, None)


class GRUFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, h0, weight_ih, weight_hh, bias_ih, bias_hh, record):
        size = h0.shape[-1]
        gi = linear(x, weight_ih, bias_ih)                     # (T, ..., B, 3H)
        T = len(x)
        H = x.new_empty(T, *h0.shape)
        RZ = x.new_empty(T, *h0.shape[:-1], 2 * size)
        N, HN = torch.empty_like(H), torch.empty_like(H)
        w_hh_t = weight_hh.transpose(-1, -2)
        h = h0
        for t in range(T):
            gh = linear(h, weight_hh, bias_hh) if h.dim() > 2 else torch.addmm(bias_hh, h, w_hh_t)
            rz = torch.sigmoid_(torch.add(gi[t, ..., :2 * size], gh[..., :2 * size], out=RZ[t]))
            HN[t] = gh[..., 2 * size:]
            n = torch.tanh_(torch.addcmul(gi[t, ..., 2 * size:], rz[..., :size], HN[t], out=N[t]))
            h = torch.addcmul(n, rz[..., size:], h - n, out=H[t])
        ctx.save_for_backward(x, h0, weight_ih, weight_hh, H, RZ, N, HN)
        ctx.record = record
        return H

    @staticmethod
    def backward(ctx, dH):
        x, h0, weight_ih, weight_hh, H, RZ, N, HN = ctx.saved_tensors
        size = h0.shape[-1]
        r, z = RZ[..., :size], RZ[..., size:]
        H_prev = torch.cat([h0.unsqueeze(0), H[:-1]])
        # dL/d(pre-activations) = dL/dh_t * coefficient; the coefficients need no chain
        c_n = (1 - z) * (1 - N * N)                            # for the candidate n
        coef = torch.stack([c_n * HN * r * (1 - r),            # reset gate
                            (H_prev - N) * z * (1 - z),        # update gate
                            c_n * r], dim=-2)                  # hidden part of the candidate
        dGH = x.new_empty(*coef.shape)                         # (T, ..., B, 3, H)
        dH_total = torch.empty_like(H)
        w_hh = weight_hh.reshape(*weight_hh.shape[:-2], 3 * size, size)
        dh = torch.zeros_like(h0)
        for t in reversed(range(len(H))):
            torch.add(dH[t], dh, out=dH_total[t])
            torch.mul(dH_total[t].unsqueeze(-2), coef[t], out=dGH[t])
            dh = dH_total[t] * z[t] + dGH[t].flatten(-2) @ w_hh
        if ctx.record is not None:
            ctx.record.append(_step_norms(dH_total))
        dGH = dGH.flatten(-2)                                  # (T, ..., B, 3H)
        dGI = torch.cat([dGH[..., :2 * size], dH_total * c_n], dim=-1)
        return (dGI @ weight_ih, dh, _outer_sum(dGI, x), _outer_sum(dGH, H_prev),
                dGI.sum(dim=(0, -2)), dGH.sum(dim=(0, -2)), None)


class LSTMFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh, record):
        size = h0.shape[-1]
        gi = linear(x, weight_ih, bias_ih + bias_hh)           # (T, ..., B, 4H)
        T = len(x)
        ACT = torch.empty_like(gi)                             # i, f, g, o after activation
        C, TC = x.new_empty(T, *h0.shape), x.new_empty(T, *h0.shape)
        H = torch.empty_like(C)
        w_hh_t = weight_hh.transpose(-1, -2)
        h, c = h0, c0
        for t in range(T):
            a = torch.add(gi[t], h @ w_hh_t, out=ACT[t])
            torch.sigmoid_(a[..., :2 * size])                  # input and forget gates
            torch.tanh_(a[..., 2 * size:3 * size])             # candidate g
            torch.sigmoid_(a[..., 3 * size:])                  # output gate
            c = torch.addcmul(a[..., size:2 * size] * c, a[..., :size], a[..., 2 * size:3 * size],
                              out=C[t])
            h = torch.mul(a[..., 3 * size:], torch.tanh(c, out=TC[t]), out=H[t])
        ctx.save_for_backward(x, h0, c0, weight_ih, weight_hh, ACT, C, TC)
        ctx.record = record
        return H, C

    @staticmethod
    def backward(ctx, dH, dC):
        x, h0, c0, weight_ih, weight_hh, ACT, C, TC = ctx.saved_tensors
        size = h0.shape[-1]
        i, f, g, o = ACT.split(size, dim=-1)
        C_prev = torch.cat([c0.unsqueeze(0), C[:-1]])
        k_c = o * (1 - TC * TC)                                # dh_t -> dc_t
        k_o = TC * o * (1 - o)                                 # dh_t -> output gate
        k_ifg = torch.cat([g * i * (1 - i), C_prev * f * (1 - f), i * (1 - g * g)], dim=-1)
        dA = torch.empty_like(ACT)
        dH_total, dC_total = torch.empty_like(C), torch.empty_like(C)
        dh, dc = torch.zeros_like(h0), torch.zeros_like(c0)
        for t in reversed(range(len(C))):
            torch.add(dH[t], dh, out=dH_total[t])
            torch.addcmul(dC[t] + dc, dH_total[t], k_c[t], out=dC_total[t])
            torch.mul(dC_total[t].repeat(*([1] * (dc.dim() - 1)), 3), k_ifg[t], out=dA[t, ..., :3 * size])
            torch.mul(dH_total[t], k_o[t], out=dA[t, ..., 3 * size:])
            dc = dC_total[t] * f[t]
            dh = dA[t] @ weight_hh
        if ctx.record is not None:
            ctx.record.append(_step_norms(dH_total))
        H_prev = torch.cat([h0.unsqueeze(0), (o * TC)[:-1]])
        db = dA.sum(dim=(0, -2))
        return (dA @ weight_ih, dh, dc, _outer_sum(dA, x), _outer_sum(dA, H_prev), db, db, None)
