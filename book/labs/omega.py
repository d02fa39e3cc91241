"""Pascanu, Mikolov & Bengio's regularizer Omega, which keeps backpropagated error from vanishing.

For a tanh RNN h_t = tanh(W_ih x_t + W_hh h_{t-1} + b) with loss E, the error reaching h_{t-1}
is g_{t-1} = (g_t * (1 - h_t^2)) W_hh, g_t = dE/dh_t. Omega asks every step to keep its norm:

    Omega = mean over t and sequences of ( ||(g_t * (1 - h_t^2)) W_hh|| / ||g_t|| - 1 )^2,

with g_t held constant (the paper's approximation): its gradient flows into W_hh and, through
h_t, into every weight. Trained on E + alpha * Omega with the gradient norm clipped (the paper's
recipe), the error can reach the early steps that a long dependency needs.

Several models train side by side (the course's model axis), each with its own alpha.
"""
import numpy as np
import torch
from torch.nn import functional as F

from ..data.sequences import temporal_order
from ..nn.optimizers import Adam
from ..nn.parallel import share_initial_weights_
from ..rnn import SequenceModel, bptt
from ..rnn.train import clip_grad_norm_per_model_


def errors_through_time(hidden, d_last, weight_hh):
    """g_t = dE/dh_t for every step, when E depends on the last state only: (T, K, B, H); the
    backward chain of the course's written-out BPTT (``book.rnn.bptt``)."""
    d_outputs = torch.zeros_like(hidden)
    d_outputs[-1] = d_last
    return bptt._rnn_chain(d_outputs, hidden, weight_hh)[0]


def omega(hidden, errors, weight_hh):
    """The regularizer, one value per model (K,): hidden (T, K, B, H) live, errors held constant."""
    passed = (errors[1:] * (1 - hidden[1:] ** 2)) @ weight_hh
    ratio = passed.norm(dim=-1) / errors[1:].norm(dim=-1).clamp_min(1e-30)
    return ((ratio - 1) ** 2).mean(dim=(0, 2))


def fit(alphas, length=40, hidden_size=16, steps=300, batch_size=32, lr=0.01, clip=1.0, seeds=2, seed=0):
    """Tanh RNNs on the temporal-order task, for each alpha (0: clipping alone) and seed, the
    models of one seed starting from the same weights; returns the models and, per step and
    model, the accuracy on the batch and ||g_1|| / ||g_T||, how much error reaches the start."""
    alpha = torch.tensor(alphas, dtype=torch.float32).repeat_interleave(seeds)
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    model = SequenceModel("rnn", 6, hidden_size, 4, n_models=len(alpha))
    share_initial_weights_(model, seeds)
    cell, parameters = model.recurrent.cell, list(model.parameters())
    optimizer = Adam(parameters, lr=lr)
    accuracy, reach = [], []
    for _ in range(steps):
        x, y = temporal_order(batch_size, length, generator)
        h, hidden = cell.init_state(batch_size), []
        for x_t in x:
            h = cell(x_t.expand(len(alpha), *x_t.shape), h)
            hidden.append(h)
        hidden = torch.stack(hidden)
        logits = hidden[-1] @ model.weight_out.transpose(-1, -2) + model.bias_out.unsqueeze(-2)
        loss = F.cross_entropy(logits.flatten(0, 1), y.repeat(len(alpha)), reduction="none")
        loss = loss.reshape(len(alpha), batch_size).mean(dim=-1)
        with torch.no_grad():
            d_logits = (torch.softmax(logits, -1) - F.one_hot(y, 4)) / batch_size
            errors = errors_through_time(hidden, d_logits @ model.weight_out, cell.weight_hh)
        for p in parameters:
            p.grad = None
        (loss + alpha * omega(hidden, errors, cell.weight_hh)).sum().backward()
        clip_grad_norm_per_model_(parameters, clip, len(alpha))
        optimizer.step()
        accuracy.append((logits.argmax(-1) == y).float().mean(-1).numpy())
        reach.append((errors[0].norm(dim=(-1, -2)) / errors[-1].norm(dim=(-1, -2))).numpy())
    return model, np.array(accuracy), np.array(reach)
