"""Noisy RNNs (Lim, Erichson, Hodgkinson & Mahoney 2021): noise injected into the hidden state
during training, and robustness to noisy inputs afterwards.

Digits are read row by row (8 steps of 8 pixels, ``book.data.sequences.digits_sequence``) by a
tanh RNN whose state gets Gaussian noise at every step while it trains,
h_t = tanh(W_ih x_t + W_hh h_{t-1} + b) + sigma * eps_t, and none when it is tested. A stack of
models trains at once (the course's model axis): for each seed one model with sigma = 0 and one
with the noise, from the same initial weights and on the same batches.
"""
import numpy as np
import torch
from torch.nn import functional as F

from ..nn.optimizers import Adam
from ..nn.parallel import share_initial_weights_
from ..rnn import SequenceModel


def forward(model, x, hidden_noise=None, generator=None):
    """Logits (K, B, 10) of the stacked models for x (T, B, 8); ``hidden_noise`` (K, 1, 1) is
    each model's sigma (None: no noise, as in testing)."""
    cell = model.recurrent.cell
    h = cell.init_state(x.shape[1])
    for x_t in x:
        h = cell(x_t.expand(cell.n_models, *x_t.shape), h)
        if hidden_noise is not None:
            h = h + hidden_noise * torch.randn(h.shape, generator=generator)
    return h @ model.weight_out.transpose(-1, -2) + model.bias_out.unsqueeze(-2)


def fit(x, y, noise_levels, hidden_size=64, epochs=20, batch_size=64, lr=0.01, seeds=3, seed=0):
    """For each seed and each hidden-noise sigma in ``noise_levels``, a tanh RNN trained with Adam
    on (x, y); models ordered level-major: [level 0: seeds..., level 1: seeds...]."""
    levels = torch.tensor(noise_levels, dtype=torch.float32).repeat_interleave(seeds).reshape(-1, 1, 1)
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    model = SequenceModel("rnn", x.shape[-1], hidden_size, 10, n_models=len(levels))
    share_initial_weights_(model, seeds)          # each level starts from the same seeds' weights
    optimizer = Adam(model.parameters(), lr=lr)
    for _ in range(epochs):
        order = torch.randperm(x.shape[1], generator=generator)
        for first in range(0, len(order), batch_size):
            batch = order[first:first + batch_size]
            logits = forward(model, x[:, batch], levels, generator)
            loss = F.cross_entropy(logits.flatten(0, 1), y[batch].repeat(len(levels)))
            optimizer.zero_grad()
            (loss * len(levels)).backward()          # the sum of the models' mean losses
            optimizer.step()
    return model


@torch.no_grad()
def accuracy_under_noise(model, x, y, input_noise, seed=1):
    """Test accuracy of each model (columns) with Gaussian noise of each std added to every
    pixel (rows): (len(input_noise), K) numpy."""
    generator = torch.Generator().manual_seed(seed)
    rows = []
    for std in input_noise:
        noisy = x + std * torch.randn(x.shape, generator=generator)
        rows.append((forward(model, noisy).argmax(-1) == y).float().mean(-1).numpy())
    return np.array(rows)
