"""Forget gates as timescales (Tallec & Ollivier 2018; Ohno & Kumagai 2021), on the copy task.

An LSTM's cell state passes back its gradient through the forget gate:
dL/dc_{t-1} = dL/dc_t * f_t + (the paths through h_{t-1}). Where the first term rules,
log ||dL/dc_{T-k}|| falls on a line in k whose slope is the forget gates' log, about -1/T for a
timescale T = 1/(1 - f). Chrono initialization draws the timescales up to the task's delay.

The task (``book.data.sequences.copy_task``): ``length`` symbols, a blank ``delay`` steps long,
a go signal, then the symbols repeated; the loss is the cross-entropy of the repeated symbols
only, so that a network that has not remembered them sits at log 8 (a guess among 8 symbols).
"""
import numpy as np
import torch
from torch.nn import functional as F

from ..data.sequences import copy_task
from ..nn.optimizers import Adam
from ..rnn import SequenceModel
from ..rnn.train import chrono_init_

N_SYMBOLS = 8


def copy_lstm(hidden_size=32, chrono=None, seed=0):
    """An LSTM sequence model for the copy task; ``chrono=T_max`` for chrono initialization."""
    torch.manual_seed(seed)
    model = SequenceModel("lstm", N_SYMBOLS + 2, hidden_size, N_SYMBOLS + 1)
    if chrono:
        chrono_init_(model.recurrent.cell, chrono, torch.Generator().manual_seed(seed))
    return model


def recall_loss(output, target, length=5):
    """Cross-entropy of the last ``length`` steps (the repeated symbols)."""
    return F.cross_entropy(output[-length:].reshape(-1, output.shape[-1]), target[-length:].reshape(-1))


def fit(model, delay=100, steps=300, lr=0.02, batch_size=32, length=5, seed=0):
    """Adam on the recall loss; returns the loss of every step."""
    generator = torch.Generator().manual_seed(seed)
    optimizer = Adam(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        x, target = copy_task(batch_size, delay, N_SYMBOLS, length, generator)
        loss = recall_loss(model(x, every_step=True), target, length)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return np.array(losses)


def cell_gradients(model, x, target, length=5):
    """Run the LSTM step by step; return the gradients dL/dc_t (T, B, H) and the forget gates
    f_t (T, B, H) of that run, L the recall loss."""
    cell = model.recurrent.cell
    h = c = x.new_zeros(x.shape[1], cell.hidden_size)
    cells, hiddens, forget = [], [], []
    for x_t in x:
        gates = F.linear(x_t, cell.weight_ih, cell.bias_ih) + F.linear(h, cell.weight_hh, cell.bias_hh)
        forget.append(torch.sigmoid(gates.chunk(4, dim=-1)[1]).detach())
        h, c = cell(x_t, (h, c))
        c.retain_grad()
        cells.append(c)
        hiddens.append(h)
    output = torch.stack(hiddens) @ model.weight_out.T + model.bias_out
    recall_loss(output, target, length).backward()
    grads = torch.stack([c.grad for c in cells])
    model.zero_grad()
    return grads.numpy(), torch.stack(forget).numpy()


def line_fit(norms, ks):
    """Least-squares line through log ||dL/dc_{t0-k}|| against k: its slope and its R^2."""
    logs = np.log(np.asarray(norms, dtype=float))
    coefficients = np.polyfit(ks, logs, 1)
    residual = logs - np.polyval(coefficients, ks)
    return float(coefficients[0]), float(1 - residual.var() / logs.var())


def weighted_log_forget(grads, forget):
    """The forget gates' log, averaged with each unit weighted by its share of ||dL/dc_t||^2 and
    then over the steps given (grads and forget: (K, B, H)): the slope of log ||dL/dc|| that the
    forget path alone would give, d/dk log ||g * f^k|| = sum_j w_j log f_j."""
    weights = grads.astype(float) ** 2
    weights /= weights.sum(axis=(1, 2), keepdims=True)
    return float((weights * np.log(forget)).sum(axis=(1, 2)).mean())
