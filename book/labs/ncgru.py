"""Orthogonal candidate weights (Mucllari et al. 2022): the NC-GRU against the GRU on the
denoise task, from the same initial weights and batches.

The networks share every parameter but the candidate's recurrent weight W_hn: the GRU's is
free (torch's initialization), the NC-GRU's is the scaled Cayley transform of a skew-symmetric
matrix, carried by the Neumann series (``book.rnn.ncgru``); a third, the GRU with an orthogonal
start, begins from the NC-GRU's W_hn and trains it freely. All run on the GRU's compiled loops.
"""
import copy

import numpy as np
import torch
from torch.nn import functional as F

from ..data.sequences import denoise
from ..nn.optimizers import Adam
from ..rnn.layers import SequenceModel

N_SYMBOLS, N_DATA = 4, 3


def pair(hidden_size=32, seed=0, terms=4):
    """A GRU and an NC-GRU sequence model with the same weights wherever both have them."""
    torch.manual_seed(seed)
    gru = SequenceModel("gru", N_SYMBOLS + 2, hidden_size, N_SYMBOLS)
    ncgru = SequenceModel("ncgru", N_SYMBOLS + 2, hidden_size, N_SYMBOLS)
    ncgru.recurrent.cell.terms = terms
    shared = dict(gru.named_parameters())
    with torch.no_grad():
        for name, p in ncgru.named_parameters():
            if name in shared:                 # all but skew; weight_hh: the GRU's (r, z) rows
                p.copy_(shared[name][:len(p)])
    return gru, ncgru


def orthogonal_start(gru, ncgru):
    """A copy of ``gru`` whose free W_hn starts as the NC-GRU's orthogonal one."""
    model = copy.deepcopy(gru)
    hidden = model.recurrent.cell.hidden_size
    with torch.no_grad():
        model.recurrent.cell.weight_hh[2 * hidden:] = ncgru.recurrent.cell.weight_hn()
    return model


def singular_values(model):
    """The smallest and largest singular value of the W_hn a model's step uses: both 1 when
    it is orthogonal (it then keeps every vector's length)."""
    hidden = model.recurrent.cell.hidden_size
    with torch.no_grad():
        values = torch.linalg.svdvals(model.recurrent.cell.step_parameters()[1][2 * hidden:])
    return values.min().item(), values.max().item()


def fit(model, length=100, steps=300, lr=0.01, batch_size=32, seed=0):
    """Adam on fresh denoise batches; returns the loss per step and, for an NC-GRU, the
    orthogonality error ||W^T W - I|| after each step."""
    generator = torch.Generator().manual_seed(seed)
    optimizer = Adam(list(model.parameters()), lr=lr)
    cell = model.recurrent.cell
    losses, errors = [], []
    for _ in range(steps):
        x, target = denoise(batch_size, length, N_SYMBOLS, N_DATA, generator)
        logits = model(x, every_step=True)[-N_DATA:]
        loss = F.cross_entropy(logits.reshape(-1, N_SYMBOLS), target.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if hasattr(cell, "refresh"):
            cell.refresh()
            errors.append(cell.orthogonality_error())
        losses.append(loss.item())
    return np.array(losses), np.array(errors)
