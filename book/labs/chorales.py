"""Gated units against tanh units on real polyphonic music (Chung et al. 2014): next-step
prediction of Bach chorales as piano rolls, at equal parameter counts.

Each network reads a piano roll frame by frame and gives, for every pitch, the probability that
it sounds in the next frame (independent Bernoulli outputs, as in the paper); the loss is the
negative log-likelihood per frame, summed over pitches. Training sees random 32-frame windows of
the training chorales; the test loss is over the whole test chorales.
"""
import numpy as np
import torch
from torch.nn import functional as F

from ..data.chorales import load_chorales
from ..nn.optimizers import Adam
from ..rnn.layers import SequenceModel
from ..rnn.train import hidden_for_budget, parameter_count  # parameter_count: the page counts with it


def split(n_train=60, n_test=20):
    """The corpus's first ``n_train`` chorales for training, the next ``n_test`` for testing."""
    rolls = [torch.from_numpy(r) for r in load_chorales(n_train + n_test)]
    return rolls[:n_train], rolls[n_train:]


def memoryless_nll(train, test):
    """The baseline: every pitch sounds with its training frequency, whatever came before."""
    p = torch.cat(train).mean(0).clamp(1e-4, 1 - 1e-4)
    frames = torch.cat([roll[1:] for roll in test])
    return F.binary_cross_entropy(p.expand_as(frames), frames, reduction="sum").item() / len(frames)


def windows(rolls, batch_size, length, generator):
    """A batch of random windows of ``length + 1`` frames (time first), from chorales that long."""
    long_enough = [roll for roll in rolls if len(roll) > length]
    picks = torch.randint(len(long_enough), (batch_size,), generator=generator).tolist()
    batch = []
    for k in picks:
        start = torch.randint(len(long_enough[k]) - length, (1,), generator=generator).item()
        batch.append(long_enough[k][start:start + length + 1])
    return torch.stack(batch, dim=1)


@torch.no_grad()
def test_nll(model, test):
    """Negative log-likelihood per frame over the whole test chorales (each from a zero state)."""
    total = frames = 0
    for roll in test:
        logits = model(roll[:-1, None], every_step=True)
        total += F.binary_cross_entropy_with_logits(logits, roll[1:, None], reduction="sum").item()
        frames += len(roll) - 1
    return total / frames


def fit(kind, train, test, budget=10000, steps=500, lr=0.01, batch_size=32, length=32, every=100, seed=0):
    """Train one network of about ``budget`` parameters with Adam; returns the model and its test
    NLL every ``every`` steps. Every kind sees the same windows (one seeded stream each)."""
    pitches = train[0].shape[1]
    torch.manual_seed(seed)
    model = SequenceModel(kind, pitches, hidden_for_budget(kind, pitches, pitches, budget), pitches)
    optimizer = Adam(list(model.parameters()), lr=lr)
    generator = torch.Generator().manual_seed(seed)
    curve = []
    for step in range(1, steps + 1):
        x = windows(train, batch_size, length, generator)
        logits = model(x[:-1], every_step=True)
        loss = F.binary_cross_entropy_with_logits(logits, x[1:], reduction="sum") / (length * batch_size)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % every == 0:
            curve.append(test_nll(model, test))
    return model, np.array(curve)

