"""Target propagation through regularized inverses of a tanh RNN (Roulet & Harchaoui 2021).

Instead of gradients, backpropagate *targets*: a state v_t that the layer should have produced.
The last state's target is a gradient step on the loss, v_T = h_T - gamma * dL/dh_T. A step
h_t = f_t(h_{t-1}) = tanh(W_hh h_{t-1} + W_ih x_t + b) is inverted with a regularization r,

    psi_t(v) = argmin_h ||f_t(h) - v||^2 + r ||h - h_{t-1}||^2,

here with f_t linearized at the current states (one Gauss-Newton step, in closed form), and the
target moves back as v_{t-1} = h_{t-1} + psi_t(v_t) - psi_t(h_t) (a target equal to the state
stays the state). Each step's weights then learn to hit their target,
sum_t ||f_t(h_{t-1}) - v_t||^2 with h_{t-1} held fixed: no product of Jacobians over time is
formed. With r near 0 the inverse divides by the step's smallest singular values.

Several models run side by side (the course's model axis), each with its own r; r = None marks
a model trained by BPTT instead, for comparison on the same batches.
"""
import numpy as np
import torch
from torch.nn import functional as F

from ..data.sequences import temporal_order
from ..nn.optimizers import Adam
from ..nn.parallel import share_initial_weights_
from ..rnn import SequenceModel


def run(model, x):
    """All states (T + 1, K, B, H), the zero initial state first, and the logits of the last."""
    cell = model.recurrent.cell
    h = cell.init_state(x.shape[1])
    states = [h]
    for x_t in x:
        h = cell(x_t.expand(cell.n_models, *x_t.shape), h)
        states.append(h)
    states = torch.stack(states)
    return states, states[-1] @ model.weight_out.transpose(-1, -2) + model.bias_out.unsqueeze(-2)


def propagate_targets(states, x, cell, top, regularization):
    """Targets v_1 .. v_T (T, K, B, H) from the last one, ``top``: each moves back through the
    step's regularized inverse linearized at the current states,
    v_{t-1} - h_{t-1} = (W^T D_t^2 W + r I)^{-1} W^T D_t (v_t - h_t), D_t = diag(1 - h_t^2);
    ``regularization`` (K,) is each model's r."""
    W = cell.weight_hh
    eye = torch.eye(cell.hidden_size, dtype=W.dtype)
    r = regularization.reshape(-1, 1, 1, 1)
    targets = [top]
    for t in range(len(x), 1, -1):
        d = 1 - states[t] ** 2                                              # (K, B, H)
        scaled = d.unsqueeze(-1) * W.unsqueeze(1)                           # D W: (K, B, H, H)
        gram = scaled.transpose(-1, -2) @ scaled + r * eye
        shift = (targets[-1] - states[t]).unsqueeze(-1)                     # (K, B, H, 1)
        step = torch.linalg.solve(gram, scaled.transpose(-1, -2) @ shift).squeeze(-1)
        targets.append(states[t - 1] + step)
    return torch.stack(targets[::-1])


def fit(regularizations, length=20, hidden_size=16, steps=300, batch_size=32, lr=0.01, step_size=1.0,
        seed=0):
    """One tanh RNN per entry of ``regularizations`` (r for target propagation, None for BPTT),
    all from the same initial weights and on the same temporal-order batches. Returns the
    models and, for every step and model, the batch accuracy, the loss and how far the target
    of step T/2 + 1 lies from its state relative to the last, ||v_{T/2+1} - h_{T/2+1}|| / ||v_T - h_T||
    (for BPTT models: the targets the same step would have propagated with r = 1). A model whose targets
    stop being finite stops changing."""
    K = len(regularizations)
    bptt = torch.tensor([r is None for r in regularizations])
    r = torch.tensor([1.0 if v is None else v for v in regularizations], dtype=torch.float32)
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    model = SequenceModel("rnn", 6, hidden_size, 4, n_models=K)
    share_initial_weights_(model, 1)
    cell, parameters = model.recurrent.cell, list(model.parameters())
    optimizer = Adam(parameters, lr=lr)
    accuracy, losses, spread = [], [], []
    for _ in range(steps):
        x, y = temporal_order(batch_size, length, generator)
        states, logits = run(model, x)
        loss = F.cross_entropy(logits.flatten(0, 1), y.repeat(K), reduction="none").reshape(K, -1).mean(-1)
        for p in parameters:
            p.grad = None
        # BPTT models: the loss's gradient for every weight; target propagation: for the readout,
        # and dL/dh_T for the last target
        top_grad, = torch.autograd.grad(loss.sum(), states, retain_graph=True)
        readout = torch.autograd.grad((loss * ~bptt).sum(), [model.weight_out, model.bias_out], retain_graph=True)
        (loss * bptt).sum().backward()
        with torch.no_grad():
            h = states.detach()
            top = h[-1] - step_size * batch_size * top_grad[-1]       # a step on each sequence's own loss
            targets = propagate_targets(h, x, cell, top, r)
        drive = x.unsqueeze(1) @ cell.weight_ih.transpose(-1, -2) + cell.bias_ih.unsqueeze(-2) \
            + cell.bias_hh.unsqueeze(-2) + h[:-1] @ cell.weight_hh.transpose(-1, -2)
        local = ((torch.tanh(drive) - targets) ** 2).sum(-1).mean(dim=(0, 2))       # (K,)
        (local * ~bptt).sum().backward()
        model.weight_out.grad += readout[0]
        model.bias_out.grad += readout[1]
        for p in parameters:                    # a model whose targets blew up stops changing
            p.grad.nan_to_num_(0.0, 0.0, 0.0)
        optimizer.step()
        accuracy.append((logits.argmax(-1) == y).float().mean(-1).numpy())
        losses.append(loss.detach().numpy())
        gap = (targets - h[1:]).norm(dim=(-1, -2))                        # (T, K)
        spread.append((gap[len(gap) // 2] / gap[-1]).numpy())
    return model, np.array(accuracy), np.array(losses), np.array(spread)
