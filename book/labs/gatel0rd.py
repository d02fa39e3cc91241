"""Sparsely changing latents (GateL0RD, Gumbsch, Butz & Martius 2021) on a cue task.

The task: two input channels, a cue flag (on at step 0 and then with probability 0.1 per step)
and a value drawn uniformly from [-1, 1] at every step; the target at every step is the value
seen at the last cue. Between cues the values are noise, so the right latent changes only at
cues. Models: GateL0RD cells with and without the L0 penalty (side by side, the same initial
weights and batches), and the course's GRU for comparison.
"""
import numpy as np
import torch

from ..nn.optimizers import Adam
from ..nn.parallel import share_initial_weights_
from ..rnn import SequenceModel
from ..rnn.gatel0rd import GateL0RDCell

CUE_RATE = 0.1


def cue_batch(batch_size, length, generator):
    """Inputs (T, B, 2): cue flag and value; targets (T, B); the cue flags (T, B) as booleans."""
    cue = torch.rand(length, batch_size, generator=generator) < CUE_RATE
    cue[0] = True
    value = torch.rand(length, batch_size, generator=generator) * 2 - 1
    steps = torch.arange(length).unsqueeze(1).expand(length, batch_size)
    last_cue = torch.cummax(torch.where(cue, steps, 0), dim=0).values
    return torch.stack([cue.float(), value], dim=-1), value.gather(0, last_cue), cue


class Latents(torch.nn.Module):
    """K GateL0RD layers side by side, each with a linear readout of its latent at every step."""

    def __init__(self, n_models, hidden_size=16, seed=0):
        super().__init__()
        generator = torch.Generator().manual_seed(seed)
        self.cell = GateL0RDCell(2, hidden_size, n_models, generator)
        share_initial_weights_(self.cell, 1)           # every model from the same weights
        self.weight_out = torch.nn.Parameter(torch.empty(1, hidden_size).uniform_(
            -hidden_size ** -0.5, hidden_size ** -0.5, generator=generator).expand(n_models, 1, hidden_size).clone())
        self.bias_out = torch.nn.Parameter(torch.zeros(n_models, 1))

    def forward(self, x, noise_std=0.0, generator=None):
        """Predictions (T, K, B) and the opened gates (T, K, B, H)."""
        h = self.cell.init_state(x.shape[1])
        predictions, opened = [], []
        for x_t in x:
            noise = noise_std * torch.randn(h.shape, generator=generator) if noise_std else None
            h, _, opens = self.cell(x_t.expand(self.cell.n_models, *x_t.shape), h, noise)
            predictions.append((h @ self.weight_out.transpose(-1, -2) + self.bias_out.unsqueeze(-2))[..., 0])
            opened.append(opens)
        return torch.stack(predictions), torch.stack(opened)


def fit_latents(penalties, steps=250, length=20, batch_size=32, hidden_size=16, lr=0.01, noise_std=0.1, seed=0):
    """GateL0RD models, one per L0 penalty weight, trained on the squared error plus
    penalty * (share of open gates); returns the model."""
    model = Latents(len(penalties), hidden_size, seed)
    weight = torch.tensor(penalties, dtype=torch.float32)
    generator = torch.Generator().manual_seed(seed)
    optimizer = Adam(model.parameters(), lr=lr)
    for _ in range(steps):
        x, target, _ = cue_batch(batch_size, length, generator)
        predictions, opened = model(x, noise_std, generator)
        loss = ((predictions - target.unsqueeze(1)) ** 2).mean(dim=(0, 2)) + weight * opened.mean(dim=(0, 2, 3))
        optimizer.zero_grad()
        loss.sum().backward()
        optimizer.step()
    return model


def fit_gru(steps=250, length=20, batch_size=32, hidden_size=16, lr=0.01, seed=0):
    """The course's GRU (its written-out BPTT) on the same task, read out at every step."""
    torch.manual_seed(seed)
    model = SequenceModel("gru", 2, hidden_size, 1)
    generator = torch.Generator().manual_seed(seed)
    optimizer = Adam(model.parameters(), lr=lr)
    for _ in range(steps):
        x, target, _ = cue_batch(batch_size, length, generator)
        loss = ((model(x, every_step=True)[..., 0] - target) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model


@torch.no_grad()
def evaluate(latents, gru, batch_size=512, length=20, seed=1):
    """On fresh sequences: each model's squared error (GateL0RD models first, the GRU last), the
    target's variance, and for the GateL0RD models the share of gates open at cue steps, at the
    other steps, and the share of all gate openings that happened at cue steps."""
    x, target, cue = cue_batch(batch_size, length, torch.Generator().manual_seed(seed))
    predictions, opened = latents(x)
    errors = ((predictions - target.unsqueeze(1)) ** 2).mean(dim=(0, 2)).numpy()
    share = opened.mean(dim=-1)                                    # (T, K, B)
    at_cues = np.array([share[:, k][cue].mean().item() for k in range(share.shape[1])])
    elsewhere = np.array([share[:, k][~cue].mean().item() for k in range(share.shape[1])])
    on_cues = np.array([opened[:, k][cue].sum().item() / max(opened[:, k].sum().item(), 1)
                        for k in range(share.shape[1])])
    gru_error = ((gru(x, every_step=True)[..., 0] - target) ** 2).mean().item()
    return np.append(errors, gru_error), target.var().item(), at_cues, elsewhere, on_cues
