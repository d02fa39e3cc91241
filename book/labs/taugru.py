"""Weighted time-delay feedback (Erichson, Lim & Mahoney 2022): the tau-GRU against a GRU of
the same parameter count on the adding problem: how far back the gradient reaches at
initialization (``gradient_profile``) and, for the Try-it, a training race on the same batches.

Both are sequence models of the course (``SequenceModel``) read out at the last step: the
tau-GRU with 24 units and four weight blocks, the GRU with 28 units and three, 2,713 and 2,717
parameters with their readouts. Both run on the compiled loops.
"""
import copy

import numpy as np
import torch

from ..data.sequences import adding_problem
from ..nn.optimizers import Adam
from ..rnn.layers import SequenceModel
from ..rnn.train import parameter_count  # parameter_count: the page counts with it

BASELINE = 1 / 6                # the adding problem's memoryless answer: predict 1


def pair(delay=10, seed=0):
    """A tau-GRU (24 units, the given delay) and a GRU (28 units), both 2 inputs, 1 output."""
    torch.manual_seed(seed)
    tau = SequenceModel("taugru", 2, 24, 1)
    tau.recurrent.cell.delay = delay
    torch.manual_seed(seed)
    return tau, SequenceModel("gru", 2, 28, 1)


def fit(model, length=200, steps=400, lr=0.01, batch_size=32, seed=0):
    """Adam on the adding problem; the squared error of every step (each model its own copy of
    the same seeded stream of batches)."""
    generator = torch.Generator().manual_seed(seed)
    optimizer = Adam(list(model.parameters()), lr=lr)
    losses = []
    for _ in range(steps):
        x, target = adding_problem(batch_size, length, generator)
        loss = ((model(x).squeeze(-1) - target) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return np.array(losses)


def gradient_profile(model, length=200, batch_size=64, seed=0):
    """||dL/dh_t|| / ||dL/dh_T|| for t = 1..T (the total gradient of the adding problem's loss
    with respect to each state), at the model's current weights, computed in float64 so that
    nothing underflows to zero."""
    model = copy.deepcopy(model).double()
    x, target = adding_problem(batch_size, length, torch.Generator().manual_seed(seed))
    record = []
    H, _ = model.recurrent(x.double(), record=record)
    loss = ((H[-1] @ model.weight_out.T + model.bias_out).squeeze(-1) - target.double()) ** 2
    loss.mean().backward()
    norms = record[0].numpy()
    return norms / norms[-1]

