"""Synthetic sequence tasks that need memory, and digits read as sequences.

Every task returns time-first tensors: inputs (T, batch, features) and targets. Each has a
*baseline*: the loss of the best answer that ignores the memory the task needs, so that a
curve under the baseline means the network has learned to remember.
"""
from dataclasses import dataclass

import numpy as np
import torch
from torch.nn import functional as F

from . import load_digits


@dataclass
class Task:
    name: str
    input_size: int
    output_size: int
    every_step: bool          # targets at every time step (copy) or only at the end
    baseline: float           # loss of the best memoryless answer
    classification: bool

    def loss(self, output, target):
        """Mean loss over the batch; for K models (output (..., K, B, .)) one loss per model."""
        if not self.classification:
            return ((output.squeeze(-1) - target) ** 2).mean(dim=-1)
        logp = F.log_softmax(output, dim=-1)
        picked = logp.gather(-1, target.unsqueeze(-1).expand(*logp.shape[:-1], 1)).squeeze(-1)
        return -(picked.mean(dim=0) if self.every_step else picked).mean(dim=-1)


def adding_problem(batch_size, length, generator=None):
    """Two channels: values in [0, 1] and a marker on two steps, one in each half.

    Target: the sum of the two marked values. Predicting its mean (1) gives MSE 1/6 ~ 0.167.
    """
    values = torch.rand(length, batch_size, generator=generator)
    first = torch.randint(0, length // 2, (batch_size,), generator=generator)
    second = torch.randint(length // 2, length, (batch_size,), generator=generator)
    markers = torch.zeros(length, batch_size)
    columns = torch.arange(batch_size)
    markers[first, columns] = 1.0
    markers[second, columns] = 1.0
    x = torch.stack([values, markers], dim=-1)
    return x, (values * markers).sum(0)


def copy_task(batch_size, delay, n_symbols=8, length=5, generator=None):
    """Remember ``length`` symbols for ``delay`` steps, then repeat them after a go signal.

    Inputs: one-hot symbols (n_symbols), a blank and a go channel. Targets at every step:
    blank (class 0) except the last ``length`` steps, which must repeat the symbols (1..n).
    """
    total = length + delay + length
    symbols = torch.randint(1, n_symbols + 1, (length, batch_size), generator=generator)
    x = torch.zeros(total, batch_size, n_symbols + 2)
    x[torch.arange(length)[:, None], torch.arange(batch_size), symbols - 1] = 1.0
    x[length:, :, n_symbols] = 1.0                       # blank
    x[length + delay - 1, :, n_symbols] = 0.0
    x[length + delay - 1, :, n_symbols + 1] = 1.0        # go
    target = torch.zeros(total, batch_size, dtype=torch.long)
    target[-length:] = symbols
    return x, target


def temporal_order(batch_size, length, generator=None):
    """Distractor symbols, with X or Y at one early and one middle step: classify XX, XY, YX, YY."""
    x_symbols = torch.randint(2, 6, (length, batch_size), generator=generator)   # distractors a-d
    relevant = torch.randint(0, 2, (2, batch_size), generator=generator)          # X = 0, Y = 1
    first = torch.randint(length // 10, 2 * length // 10 + 1, (batch_size,), generator=generator)
    second = torch.randint(5 * length // 10, 6 * length // 10 + 1, (batch_size,), generator=generator)
    columns = torch.arange(batch_size)
    x_symbols[first, columns] = relevant[0]
    x_symbols[second, columns] = relevant[1]
    return F.one_hot(x_symbols, 6).float(), 2 * relevant[0] + relevant[1]


def denoise(batch_size, length, n_symbols=4, n_data=3, generator=None):
    """Pick ``n_data`` symbols out of noise: among ``length`` noise steps, ``n_data`` random steps
    carry a symbol (one of ``n_symbols``); after a marker the symbols must be given back in order.

    Inputs (length + n_data, B, n_symbols + 2): one-hot symbols, a noise and a marker channel
    (the marker on step ``length``). Targets (n_data, B): the symbols, to be read at the last
    ``n_data`` steps. Guessing without memory scores cross-entropy log(n_symbols).
    """
    places = torch.rand(length, batch_size, generator=generator).argsort(dim=0)[:n_data].sort(dim=0).values
    symbols = torch.randint(0, n_symbols, (n_data, batch_size), generator=generator)
    x = torch.zeros(length + n_data, batch_size, n_symbols + 2)
    x[:length, :, n_symbols] = 1.0
    columns = torch.arange(batch_size)
    for place, symbol in zip(places, symbols):
        x[place, columns, n_symbols] = 0.0
        x[place, columns, symbol] = 1.0
    x[length, :, n_symbols + 1] = 1.0
    return x, symbols


def digits_sequence(mode="rows"):
    """scikit-learn's digits as sequences: 8 rows of 8 pixels, or 64 single pixels.

    Returns (x, y): x of shape (8, 1797, 8) for rows or (64, 1797, 1) for pixels.
    """
    if mode not in ("rows", "pixels"):
        raise ValueError("mode is 'rows' or 'pixels'")
    X, y = load_digits()
    images = torch.tensor(X, dtype=torch.float32).reshape(-1, 8, 8)
    x = images.permute(1, 0, 2) if mode == "rows" else images.reshape(-1, 64, 1).permute(1, 0, 2)
    return x.contiguous(), torch.tensor(y)


TASKS = {
    "adding": lambda length: Task("adding", 2, 1, False, 1 / 6, False),
    "copy": lambda length: Task("copy", 10, 9, True,
                                float(5 * np.log(8) / (length + 10)), True),
    "temporal order": lambda length: Task("temporal order", 6, 4, False, float(np.log(4)), True),
}


def make_batch(task, batch_size, length, generator=None):
    """A batch of the named task at sequence length ``length`` (the copy task's delay)."""
    if task == "adding":
        return adding_problem(batch_size, length, generator)
    if task == "copy":
        return copy_task(batch_size, length, generator=generator)
    if task == "temporal order":
        return temporal_order(batch_size, length, generator)
    raise ValueError(f"unknown task {task!r}: choose adding, copy or temporal order")
