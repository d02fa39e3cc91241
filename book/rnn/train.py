"""Training recurrent models one step at a time, recording what the gradients do.

``Trainer.step()`` draws a batch, runs forward and the written-out BPTT, records the loss
and ||dL/dh_t|| for every t, clips and updates. It returns plain arrays, so widgets call it
between yields and tests call it directly. With several gains (a sweep) the K models train
as one batched model, each with its own loss, clipping and divergence.
"""
import copy
import math
from dataclasses import dataclass, field

import numpy as np
import torch

from ..data.sequences import TASKS, make_batch
from ..device import get_device
from ..nn.optimizers import OPTIMIZERS, flatten_parameters_
from ..stepping import exhaust
from . import bptt, fused
from .cells import GATES, linear
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
    gates = GATES[kind]           # the NC-GRU: 2 blocks and the skew matrix, H x H
    size = 1
    while gates * (size * input_size + size * size + 2 * size) + output_size * (size + 1) < budget:
        size += 1
    return size


def parameter_count(model):
    """How many numbers a model trains (what ``hidden_for_budget`` sizes against)."""
    return sum(p.numel() for p in model.parameters())


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


@dataclass
class Partial:
    """A training step half done: the loss and the squared norms ||dL/dh_t||^2 summed over the
    first ``seen`` of ``batch_size`` sequences, each sequence weighted as in the whole batch."""
    loss_sum: torch.Tensor          # (K,)
    squares_sum: torch.Tensor       # (T, K), float64; 0.0 when nothing was recorded
    seen: int
    batch_size: int

    def loss(self):
        """The step's loss estimated from the sequences seen: (K,) numpy."""
        return (self.loss_sum * (self.batch_size / self.seen)).cpu().numpy()

    def grad_norms(self):
        """||dL/dh_t|| of the whole batch estimated from the sequences seen: (T, K) numpy."""
        if not torch.is_tensor(self.squares_sum):
            return None
        return (self.squares_sum * (self.batch_size / self.seen)).sqrt().float().cpu().numpy()


class SquaredErrorStep:
    """Loss and gradients of a one-model ``SequenceModel`` (a model axis of 1) whose readout
    at the last step is scored by the mean squared error, without autograd: the forward and
    backward of the recurrent layer's written-out BPTT (``book.rnn.bptt``) are called
    directly, and the readout's and the loss's gradients are written out in the operations
    autograd would run, so the numbers are the same (a diverged model's loss is not a number:
    it passes on no gradient). Calling it with x (T, B, I) and target (B,) adds the gradients
    to the parameters' ``.grad`` and returns the loss (1,) and the norms ||dL/dh_t|| (T,).

    Made once per model: the views of its weights and of their gradients, and the tensors it
    reads that never change (the zero initial state; dL/dh_t of the steps before the last,
    which the readout leaves at zero), are made once instead of at every step. A step of the
    course's small models costs little more than the operations it launches, a few
    microseconds each, so it launches as few as it can (the gated race: 16 % faster)."""

    def __init__(self, model):
        cell = model.recurrent.cell
        self.kind = cell.kind
        parameters = (cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)
        self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh = (p[0] for p in parameters)
        self.grads = [p.grad[0] for p in parameters]
        self.weight_out = model.weight_out.transpose(-1, -2)                  # (1, H, 1)
        self.weight_out_row = self.weight_out.transpose(1, 2)                 # (1, 1, H)
        self.bias_out = model.bias_out.unsqueeze(-2)
        self.grad_weight_out, self.grad_bias_out = model.weight_out.grad, model.bias_out.grad
        self.hidden_size = cell.hidden_size
        self._zeros = {}

    def zeros(self, length, batch):
        """The initial state h0 (and c0), dL/dc at the last step and dL/dh_t (T, B, H), zero
        (dL/dh_t but at the last step, which each step writes): made once per shape."""
        if (length, batch) not in self._zeros:
            state = self.weight_hh.new_zeros(batch, self.hidden_size)
            self._zeros[length, batch] = (state, state.clone(), state.clone(),
                                          self.weight_hh.new_zeros(length, batch, self.hidden_size),
                                          state.new_ones(1, batch) / batch,      # (1 or 0) / B
                                          state.new_zeros(1, batch) / batch)
        return self._zeros[length, batch]

    def __call__(self, x, target):
        h0, c0, dc_last, dH, alive, dead = self.zeros(len(x), x.shape[-2])
        weights = (self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        with torch.no_grad():
            if self.kind == "lstm":                         # the forward of bptt's Functions
                H, C, gates = bptt._lstm_forward(x, h0, c0, *weights)
            elif self.kind == "gru":
                H, gates = bptt._gru_forward(x, h0, *weights)
            else:
                H = bptt._rnn_forward(x, h0, *weights)
            last = H[-1].unsqueeze(0)                                        # (1, B, H)
            error = (last @ self.weight_out + self.bias_out).squeeze(-1) - target
            loss = (error ** 2).mean(dim=-1)
            # d loss.where(finite, 0).sum() / d error = (1 or 0) / B * (2 error), as autograd has it
            scale = alive if math.isfinite(loss.item()) else dead
            d_output = (scale * (2 * error)).unsqueeze(-1)                     # (1, B, 1)
            torch.bmm(d_output, self.weight_out_row, out=dH[-1:])
            with bptt.denormals_flushed():                  # and their backward
                if self.kind == "lstm":
                    G, _, dA = bptt._lstm_chain(dH, dc_last, gates, C, c0, self.weight_hh)
                    d_input = d_hidden = dA
                elif self.kind == "gru":
                    G, d_input, d_hidden = bptt._gru_chain(dH, gates, h0, H, self.weight_hh)
                else:
                    G, dA = bptt._rnn_chain(dH, H, self.weight_hh)
                    d_input = d_hidden = dA
                norms = bptt._step_norms(G)
                d_bias_ih = d_input.sum(dim=(0, -2))
                d_bias_hh = d_hidden.sum(dim=(0, -2)) if self.kind == "gru" else d_bias_ih
                grads = (bptt._outer_sum(d_input, x), bptt._outer_sum_previous(d_hidden, h0, H),
                         d_bias_ih, d_bias_hh)
            for grad, g in zip(self.grads, grads):
                grad += g
            self.grad_weight_out += last.transpose(1, 2).bmm(d_output).transpose(-1, -2)
            self.grad_bias_out += d_output.sum(dim=-2)
        return loss, norms


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
        self.parameters = list(self.model.parameters())
        if init != "default":
            init_recurrent_(self.model.recurrent.cell.weight_hh, init, self.gains, self.generator)
        if chrono:
            chrono_init_(self.model.recurrent.cell, chrono, self.generator)
        # the optimizers of the training chapter, written out (equal to torch.optim's, which
        # would cost a page a second the first time one is used: it imports torch._dynamo),
        # on all parameters as one flat tensor
        self.flat, self.flat_grad = flatten_parameters_(self.parameters)
        self.optimizer = OPTIMIZERS[optimizer]([self.flat], lr=learning_rate)
        self.history = History(diverged_at=np.full(self.n_models, -1))
        # one model on the compiled loops, a regression target at the last step (the adding
        # problem): whole steps skip autograd (SquaredErrorStep, the same numbers)
        self._written_out = SquaredErrorStep(self.model) if (
            self.n_models == 1 and not self.task.classification and not self.task.every_step
            and kind in ("rnn", "gru", "lstm")             # cells whose weights are parameters
            and fused.usable(self.model.recurrent.cell.weight_hh[0])) else None
        self.steps = 0
        self.partial = None       # during a step in parts: what the slices so far measured

    def step(self):
        """One training step; returns (loss (K,), grad norms (T, K)) as numpy arrays."""
        return exhaust(self.step_in_parts(1))

    def step_in_parts(self, parts=1):
        """The same training step, as a generator that yields between slices of the batch.

        Forward and backward run on about ``batch_size / parts`` sequences at a time; each
        slice's loss is weighted by its share of the batch, so the gradients and the squared
        norms ||dL/dh_t||^2 add up to the whole batch's (gradient accumulation: the same step
        up to rounding; ``parts=1`` is exactly ``step()``). Clipping and the update run once,
        after the last slice. A caller that must stay responsive (a widget's loop) serves
        events at each ``yield`` and may abandon the step there: no parameter has changed
        yet. Between slices ``partial`` holds the step's loss and ||dL/dh_t|| estimated from the
        sequences done (``Partial``), for a widget to draw while the step runs; None otherwise.
        Returns what ``step()`` returns.
        """
        x, target = make_batch(self.task_name, self.batch_size, self.length, self.generator)
        x, target = x.to(self.device), target.to(self.device)
        parts = max(1, min(parts, self.batch_size))
        self.flat_grad.zero_()
        if parts == 1 and self._written_out is not None:
            losses, norms = self._written_out(x, target)
            return self._update(losses, norms.unsqueeze(-1))
        x = x.unsqueeze(1)
        bounds = np.linspace(0, self.batch_size, parts + 1).round().astype(int).tolist() \
            if parts > 1 else [0, self.batch_size]
        whole = parts == 1
        losses, squares = 0.0, 0.0
        for first, last in zip(bounds[:-1], bounds[1:]):
            if first:
                self.partial = Partial(losses, squares, int(first), self.batch_size)
                try:
                    yield
                finally:
                    self.partial = None
            x_part, target_part = x[..., first:last, :], target[..., first:last]
            record = []
            output = self.model(x_part, record=record, every_step=self.task.every_step)
            part = self.task.loss(output, target_part.unsqueeze(-2) if self.task.every_step
                                  else target_part.unsqueeze(0).expand(self.n_models, -1))
            if not whole:
                part = part * ((last - first) / self.batch_size)
            alive = torch.isfinite(part)
            part.where(alive, torch.zeros_like(part)).sum().backward()
            losses = part.detach() if whole else losses + part.detach()
            if record:
                squares = record[0] if whole else squares + record[0].double() ** 2
        if not whole:
            dead = ~torch.isfinite(losses)     # a model diverged on any slice: as on the whole batch
            if dead.any():
                for p in self.parameters:
                    p.grad[dead] = 0.0
            squares = squares.sqrt().float() if torch.is_tensor(squares) else squares
        return self._update(losses, squares)

    def _update(self, losses, squares):
        """The end of every step: clip, update, record the loss (K,) and the norms (T, K)."""
        if self.clip:
            clip_grad_norm_per_model_(self.parameters, self.clip, self.n_models)
        self.flat_grad.nan_to_num_(0.0, 0.0, 0.0)       # a diverged model stops changing
        self.optimizer.step([self.flat_grad])
        if hasattr(self.model.recurrent.cell, "refresh"):     # the NC-GRU's carried inverse
            self.model.recurrent.cell.refresh()
        loss = losses.cpu().numpy()
        norms = squares.cpu().numpy() if torch.is_tensor(squares) \
            else np.zeros((self.length, self.n_models))
        newly = (~np.isfinite(loss)) & (self.history.diverged_at < 0)
        self.history.diverged_at[newly] = self.steps
        self.history.loss.append(loss)
        self.history.grad_norms.append(norms)
        self.steps += 1
        return loss, norms

    def until(self, n_steps):
        """The record of this trainer's first ``n_steps`` steps: a copy whose history and step
        count stop there, as a run of ``n_steps`` steps would have left them (the same seeded
        batches up to that step). Its model is this one's, trained to the end: read the
        history, not the weights."""
        part = copy.copy(self)
        part.history = History(loss=self.history.loss[:n_steps], grad_norms=self.history.grad_norms[:n_steps],
                               diverged_at=np.where(self.history.diverged_at < n_steps, self.history.diverged_at, -1))
        part.steps, part.partial = min(n_steps, self.steps), None
        return part

    def run(self, n_steps, stop_if_diverged=False):
        """Train ``n_steps`` steps, or with ``stop_if_diverged`` until every model has diverged
        (the history then ends at that step)."""
        for _ in range(n_steps):
            self.step()
            if stop_if_diverged and (self.history.diverged_at >= 0).all():
                break
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


def trivial_baseline(task, length, n_samples=100_000, seed=12345, chunk=25_000):
    """The loss of the trivial answer that ignores the input, measured on ``n_samples`` fresh
    sequences: the mean target for a regression task (its MSE is the targets' variance, 1/6
    for the adding problem: the sum of two independent U(0, 1) values), the class frequencies
    for a classification task (its cross-entropy is their entropy, per step where targets come
    at every step). A trained network that does not beat it has learned nothing from its inputs.
    (Drawn ``chunk`` sequences at a time, to keep memory small.)"""
    generator = torch.Generator().manual_seed(seed)
    spec = TASKS[task](length)
    total = 0.0
    for first in range(0, n_samples, chunk):
        _, target = make_batch(task, min(chunk, n_samples - first), length, generator)
        if spec.classification:           # counts per class (and per step, for the copy task)
            target = torch.nn.functional.one_hot(target, spec.output_size).double()
            total = total + target.sum(dim=-2)
        else:                             # sum and sum of squares of the target
            total = total + torch.stack([target.double().sum(), target.double().square().sum()])
    if not spec.classification:
        mean, mean_square = total / n_samples
        return float(mean_square - mean ** 2)
    frequencies = total / n_samples
    return float(-(frequencies * frequencies.clamp_min(1e-300).log()).sum(dim=-1).mean())


def moving_average(values, window=20):
    """The mean of the last ``window`` values at every step (of fewer at the start), so that a
    noisy loss curve can be read; a non-finite value (a diverged run) stays non-finite."""
    values = np.asarray(values, dtype=float)
    sums = np.cumsum(np.concatenate([[0.0], values]))
    steps = np.arange(1, len(values) + 1)
    starts = np.maximum(steps - window, 0)
    with np.errstate(invalid="ignore"):
        return (sums[steps] - sums[starts]) / (steps - starts)


def first_below(values, level, window=25):
    """The first step (counted from 1) at which the mean of the last ``window`` values is
    below ``level`` (a loss leaving its baseline); None if it never is."""
    below = np.flatnonzero(moving_average(values, window)[window - 1:] < level)
    return int(below[0]) + window if len(below) else None


CONTENDERS = (("tanh RNN", "rnn", False), ("GRU", "gru", False), ("LSTM", "lstm", False),
              ("LSTM, chrono init", "lstm", True))


# research cells that can join the race (Part VII's labs): name -> (kind, chrono)
EXTRA_CONTENDERS = {"NC-GRU": ("ncgru", False), "τ-GRU": ("taugru", False)}   # tau-GRU: delay 10


def race(task, length, budget, learning_rate, seed, batch_size=64, also=()):
    """The gated-cell race: a tanh RNN, a GRU, an LSTM and an LSTM with chrono initialization
    (timescales up to ``length``), each with about ``budget`` parameters, trained with Adam on
    batches from the same seeded stream (the chrono LSTM draws its biases from it first, so
    its batches are other draws), and the research cells named in ``also`` (keys of
    ``EXTRA_CONTENDERS``: "NC-GRU", "τ-GRU"). Returns one Trainer per contender, by name."""
    probe = TASKS[task](length)
    trainers = {}
    for name, kind, chrono in CONTENDERS + tuple((name, *EXTRA_CONTENDERS[name]) for name in also):
        hidden = hidden_for_budget(kind, probe.input_size, probe.output_size, budget)
        trainers[name] = Trainer(kind, task, length, hidden, learning_rate, init="default",
                                 optimizer="adam", batch_size=batch_size, seed=seed,
                                 chrono=length if chrono else None)
    return trainers


def forget_timescales(cell, x):
    """Each LSTM unit's memory timescale -1/ln f (chapter "Gated cells"), with f its forget gate
    averaged over every step and sequence of x (time first: (T, B, input)). Sorted; for a cell
    of K models, one row per model."""
    if cell.kind != "lstm":
        raise ValueError("forget gates belong to the LSTM")
    forget = []
    with torch.no_grad():
        state = cell.init_state(x.shape[-2])
        for x_t in x.to(cell.weight_hh.device):
            gates = linear(x_t, cell.weight_ih, cell.bias_ih) + linear(state[0], cell.weight_hh,
                                                                       cell.bias_hh)
            forget.append(torch.sigmoid(gates.chunk(4, dim=-1)[1]))
            state = cell(x_t, state)
    f = torch.stack(forget).mean(dim=(0, -2))                      # ([K,] H)
    return np.sort((-1 / torch.log(f)).cpu().numpy(), axis=-1)
