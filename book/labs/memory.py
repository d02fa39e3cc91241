"""Memory distance (Illium et al. 2022): how many steps back can a trained RNN repeat its input?

The task: inputs x_t drawn i.i.d. from N(0, 1), target y_t = x_{t-k}. Nothing in the input
predicts x_{t-k} but x_{t-k} itself, so the network must carry it for k steps. One network
per delay k; R^2 of its outputs on fresh sequences (1 means perfect recall, 0 the mean).

The networks for all delays train at once as one block-diagonal network: K networks of H units
become one of K*H units whose recurrent weights (per gate) and readout are zero outside the
K diagonal blocks. The gates of a GRU or LSTM act unit by unit, so the blocks never mix: the
numbers are those of K separate networks. The zeros stay zero because their gradients are
masked, and Adam moves a parameter whose gradient is always zero by exactly nothing.
"""
import numpy as np
import torch

from ..nn.optimizers import Adam
from ..rnn import SequenceModel
from ..rnn.cells import GATES


def delayed_copies(x, delays, burn_in):
    """Targets x_{t-k} for t >= burn_in, one column per delay: (T - burn_in, B, K)."""
    return torch.stack([x[burn_in - k:len(x) - k, :, 0] for k in delays], dim=-1)


class DelayNetworks(SequenceModel):
    """One network of ``hidden_size`` units per delay, as one block-diagonal SequenceModel."""

    def __init__(self, kind, hidden_size, delays, generator=None):
        self.delays, self.hidden_size_each = list(delays), hidden_size
        n = len(self.delays)
        super().__init__(kind, 1, n * hidden_size, n)
        block = torch.block_diag(*[torch.ones(hidden_size, hidden_size)] * n)
        self.masks = {"recurrent.cell.weight_hh": block.repeat(GATES[kind], 1),
                      "weight_out": torch.block_diag(*[torch.ones(1, hidden_size)] * n)}
        with torch.no_grad():               # each block initialized as torch initializes one network
            for p in self.parameters():
                p.uniform_(-hidden_size ** -0.5, hidden_size ** -0.5, generator=generator)
            self.bias_out.zero_()
        self.mask_()

    def mask_(self, grad=False):
        """Zero the weights (or their gradients) that would connect two networks."""
        parameters = dict(self.named_parameters())
        with torch.no_grad():
            for name, mask in self.masks.items():
                (parameters[name].grad if grad else parameters[name]).mul_(mask)


class DelayTraining:
    """One network per delay (a DelayNetworks) with its Adam optimizer and its seeded stream of
    batches: ``step()`` trains one step (the mean squared error on steps t >= burn_in) and
    records its loss, the mean over the delays, in ``losses``. Sequences are ``length`` steps,
    by default the longest delay plus 10."""

    def __init__(self, kind, hidden_size, delays, length=None, burn_in=None, batch_size=32, lr=0.01, seed=0):
        self.delays = list(delays)
        self.burn_in = max(self.delays) if burn_in is None else burn_in
        self.length = self.burn_in + 10 if length is None else length
        self.batch_size = batch_size
        self.generator = torch.Generator().manual_seed(seed)
        self.model = DelayNetworks(kind, hidden_size, self.delays, self.generator)
        self.optimizer = Adam(self.model.parameters(), lr=lr)
        self.losses = []

    def step(self):
        x = torch.randn(self.length, self.batch_size, 1, generator=self.generator)
        output = self.model(x, every_step=True)[self.burn_in:]
        loss = ((output - delayed_copies(x, self.delays, self.burn_in)) ** 2).mean(dim=(0, 1))
        self.optimizer.zero_grad()
        loss.sum().backward()                    # the networks share no parameter: one backward for all
        self.model.mask_(grad=True)
        self.optimizer.step()
        self.losses.append(loss.mean().item())
        return loss.detach()


def fit(kind, hidden_size, delays, steps=150, **options):
    """Train one network per delay for ``steps`` steps (``DelayTraining``'s options); returns
    the DelayTraining, its model trained."""
    training = DelayTraining(kind, hidden_size, delays, **options)
    for _ in range(steps):
        training.step()
    return training


@torch.no_grad()
def r2_score(model, length=None, burn_in=None, batch_size=512, seed=1):
    """R^2 of each delay's network on fresh sequences (by default as long as in training,
    the longest delay plus 10): (K,) numpy."""
    burn_in = max(model.delays) if burn_in is None else burn_in
    length = burn_in + 10 if length is None else length
    x = torch.randn(length, batch_size, 1, generator=torch.Generator().manual_seed(seed))
    target = delayed_copies(x, model.delays, burn_in)
    error = ((model(x, every_step=True)[burn_in:] - target) ** 2).mean(dim=(0, 1))
    return (1 - error / target.var(dim=(0, 1))).numpy()


def memory_distance(delays, r2, threshold=0.9):
    """The largest delay up to which every network reaches R^2 >= threshold (0 if none)."""
    reached = 0
    for k, score in zip(delays, r2):
        if score < threshold:
            break
        reached = int(k)
    return reached


def memory_capacity(r2):
    """Jaeger's memory capacity: the sum over delays of R^2 (negative scores counted as 0)."""
    return float(np.clip(r2, 0, None).sum())
