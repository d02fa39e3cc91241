"""Training recurrent models one step at a time, recording what the gradients do.

``Trainer.step()`` draws a batch, runs forward and the written-out BPTT, records the loss
and ||dL/dh_t|| for every t, clips and updates. It returns plain arrays, so widgets call it
between yields and tests call it directly. With several gains (a sweep) the K models train
as one batched model, each with its own loss, clipping and divergence.
"""
from dataclasses import dataclass, field

import numpy as np
import torch

from ..data.sequences import TASKS, make_batch
from ..device import get_device
from .layers import SequenceModel

INITS = ("gaussian", "orthogonal", "identity")   # or "default": torch's uniform init


def init_recurrent_(weight_hh, scheme, gains, generator=None):
    """Set W_hh (per gate block) to gain * (N(0, 1/H) | random orthogonal | identity)."""
    with torch.no_grad():
        *lead, rows, size = weight_hh.shape
        gains = torch.as_tensor(gains, dtype=weight_hh.dtype).reshape(*lead, 1, 1) if lead \
            else float(np.asarray(gains).reshape(-1)[0])
        blocks = []
        for _ in range(rows // size):
            shape = (*lead, size, size)
            if scheme == "gaussian":
                block = torch.randn(*shape, generator=generator) / size ** 0.5
            elif scheme == "orthogonal":
                block, _ = torch.linalg.qr(torch.randn(*shape, generator=generator))
            elif scheme == "identity":
                block = torch.eye(size).expand(*shape).clone()
            else:
                raise ValueError(f"unknown initialization {scheme!r}: choose one of {INITS}")
            blocks.append(block)
        weight_hh.copy_(torch.cat(blocks, dim=-2).to(weight_hh.device) * gains)


def chrono_init_(cell, t_max, generator=None):
    """Chrono initialization of an LSTM (Tallec & Ollivier 2018): forget-gate biases
    b_f ~ log U[1, t_max - 1] give timescales T = 1/(1 - f) spread up to t_max; b_i = -b_f."""
    if cell.kind != "lstm":
        raise ValueError("chrono initialization is defined for the LSTM")
    size = cell.hidden_size
    with torch.no_grad():
        shape = cell.bias_hh[..., :size].shape
        b_f = torch.log(1 + torch.rand(shape, generator=generator) * (t_max - 2)).to(cell.bias_hh.device)
        for bias in (cell.bias_ih, cell.bias_hh):
            bias[..., size:2 * size] = b_f / 2          # the two biases add up
            bias[..., :size] = -b_f / 2


def hidden_for_budget(kind, input_size, output_size, budget):
    """The hidden size whose sequence model has about ``budget`` parameters."""
    gates = {"rnn": 1, "gru": 3, "lstm": 4}[kind]
    size = 1
    while gates * (size * input_size + size * size + 2 * size) + output_size * (size + 1) < budget:
        size += 1
    return size


def clip_grad_norm_per_model_(parameters, max_norm, n_models):
    """Rescale each model's gradient to norm <= max_norm (Pascanu et al. 2013); return norms.

    Parameters carry a leading model axis of size ``n_models`` (1 for a single model)."""
    grads = [p.grad for p in parameters if p.grad is not None]
    norms = torch.stack([g.reshape(n_models, -1).pow(2).sum(1) for g in grads]).sum(0).sqrt()
    scale = (max_norm / (norms + 1e-6)).clamp(max=1.0)
    for g in grads:
        g.mul_(scale.reshape(-1, *([1] * (g.dim() - 1))))
    return norms


@dataclass
class History:
    loss: list = field(default_factory=list)          # per step: array (K,)
    grad_norms: list = field(default_factory=list)    # per step: array (T, K)
    diverged_at: np.ndarray | None = None             # per model: first non-finite step or -1


class Trainer:
    """A (batched) sequence model on a task, trained step by step with SGD or Adam."""

    def __init__(self, kind="rnn", task="adding", length=50, hidden_size=32, learning_rate=0.01,
                 clip=None, init="orthogonal", gains=(1.0,), optimizer="sgd", batch_size=32,
                 seed=0, device=None, chrono=None):
        self.kind, self.length, self.clip, self.batch_size = kind, length, clip, batch_size
        self.task = TASKS[task](length)
        self.task_name = task
        self.device = device or get_device()
        self.gains = np.atleast_1d(np.asarray(gains, dtype=float))
        self.n_models = len(self.gains)
        torch.manual_seed(seed)
        self.generator = torch.Generator().manual_seed(seed)
        self.model = SequenceModel(kind, self.task.input_size, hidden_size, self.task.output_size,
                                   n_models=self.n_models).to(self.device)
        if init != "default":
            init_recurrent_(self.model.recurrent.cell.weight_hh, init, self.gains, self.generator)
        if chrono:
            chrono_init_(self.model.recurrent.cell, chrono, self.generator)
        if optimizer == "adam":
            self.optimizer = torch.optim.Adam(self.model.parameters(), lr=learning_rate)
        else:
            self.optimizer = torch.optim.SGD(self.model.parameters(), lr=learning_rate)
        self.history = History(diverged_at=np.full(self.n_models, -1))
        self.steps = 0

    def step(self):
        """One training step; returns (loss (K,), grad norms (T, K)) as numpy arrays."""
        x, target = make_batch(self.task_name, self.batch_size, self.length, self.generator)
        x, target = x.to(self.device).unsqueeze(1), target.to(self.device)
        record = []
        self.optimizer.zero_grad()
        output = self.model(x, record=record, every_step=self.task.every_step)
        losses = self.task.loss(output, target.unsqueeze(-2) if self.task.every_step
                                else target.unsqueeze(0).expand(self.n_models, -1))
        alive = torch.isfinite(losses)
        losses.where(alive, torch.zeros_like(losses)).sum().backward()
        if self.clip:
            clip_grad_norm_per_model_(list(self.model.parameters()), self.clip, self.n_models)
        for p in self.model.parameters():       # a diverged model stops changing
            p.grad.nan_to_num_(0.0, 0.0, 0.0)
        self.optimizer.step()
        loss = losses.detach().cpu().numpy()
        norms = record[0].cpu().numpy() if record else np.zeros((self.length, self.n_models))
        newly = (~np.isfinite(loss)) & (self.history.diverged_at < 0)
        self.history.diverged_at[newly] = self.steps
        self.history.loss.append(loss)
        self.history.grad_norms.append(norms)
        self.steps += 1
        return loss, norms

    def run(self, n_steps):
        for _ in range(n_steps):
            self.step()
        return self.history


def decay_rate(norms):
    """Slope of log10 ||dL/dh_t|| per step back in time (least squares), per model.

    Negative: gradients shrink going back (vanishing); positive: they grow (exploding).
    """
    norms = np.asarray(norms, dtype=float)
    norms = norms.reshape(len(norms), -1)
    steps_back = np.arange(len(norms))[::-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.log10(norms)          # norms that underflowed to 0 are left out of the fit
    slopes = []
    for column in logs.T:
        ok = np.isfinite(column)
        slopes.append(np.polyfit(steps_back[ok], column[ok], 1)[0] if ok.sum() > 2 else np.nan)
    return np.array(slopes)


def verdict(slope, length):
    """Plain words for a measured decay rate over a sequence of the given length."""
    if not np.isfinite(slope):
        return "diverged"
    change = slope * (length - 1)
    if change < -3:
        return f"vanishing: the first step gets 10^{change:.0f} of the last step's gradient"
    if change > 3:
        return f"exploding: the first step gets 10^{change:.0f} times the last step's gradient"
    return f"healthy: the gradient changes by 10^{change:.1f} across {length} steps"
