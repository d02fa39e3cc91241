"""Activity sparsity (Subramoney et al. 2023): an event-based GRU against the GRU on digits
read row by row (8 steps of 8 pixels), the same initial weights, batches and optimizer.

The GRU is the EGRU with every unit speaking at every step (``egru_cell(events=False)``), so the
two differ only in the events. Activity is the share of units that sent a nonzero output at a
step; the recurrent product W_hh y of the next step needs only the columns of the units that
did, so its multiply-adds scale with the activity.
"""
import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ..nn.optimizers import Adam
from ..rnn.egru import EGRUCell, output


class Classifier(nn.Module):
    """An EGRU layer (events on or off) read out at the last step."""

    def __init__(self, hidden_size=64, events=True, seed=0, threshold_range=(0.4, 0.6)):
        super().__init__()
        generator = torch.Generator().manual_seed(seed)
        self.cell = EGRUCell(8, hidden_size, threshold_range=threshold_range, generator=generator)
        self.weight_out = nn.Parameter(torch.empty(10, hidden_size).uniform_(
            -hidden_size ** -0.5, hidden_size ** -0.5, generator=generator))
        self.bias_out = nn.Parameter(torch.zeros(10))
        self.events = events

    def forward(self, x):
        """Logits (B, 10) and the activity of every step, (T, B, H) booleans."""
        state, active = self.cell.init_state(x.shape[1]), []
        for x_t in x:
            state = self.cell(x_t, state, self.events)
            active.append(output(state) != 0)
        return output(state) @ self.weight_out.T + self.bias_out, torch.stack(active)


def fit(model, x, y, epochs=15, batch_size=64, lr=0.01, seed=0):
    generator = torch.Generator().manual_seed(seed)
    optimizer = Adam(model.parameters(), lr=lr)
    for _ in range(epochs):
        order = torch.randperm(x.shape[1], generator=generator)
        for first in range(0, len(order), batch_size):
            batch = order[first:first + batch_size]
            loss = F.cross_entropy(model(x[:, batch])[0], y[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return model


@torch.no_grad()
def evaluate(model, x, y):
    """Test accuracy, and the activity per step (T,) averaged over digits and units."""
    logits, active = model(x)
    return (logits.argmax(-1) == y).float().mean().item(), active.float().mean(dim=(1, 2)).numpy()


def recurrent_operations(activity, hidden_size):
    """Multiply-adds of the recurrent products W_hh y over a sequence (the first step's y is 0):
    dense, 3H x H per step; skipping silent units, 3H per unit that spoke at the step before."""
    dense = 3 * hidden_size ** 2 * (len(activity) - 1)
    return dense, float(3 * hidden_size ** 2 * np.sum(activity[:-1]))
