"""Mini-batch training of a classifier, with the tools of the training chapter.

``fit`` is the loop every chapter of this part uses: shuffled mini-batches, an optimizer from
``book.nn.optimizers`` (or torch.optim's of the same name), an optional learning-rate schedule,
L2 weight decay, and early stopping on a validation set that restores the best weights. It
returns the per-epoch history as plain lists; ``progress=True`` shows the epochs in a progress bar
(off by default: a page's fits take a second or less, and in an executed page each bar is a
widget that the static book carries but cannot draw).

The networks of these chapters are small; torch trains them on the course's one CPU thread
(``book.device``).
"""
import contextlib
import copy
import math
from dataclasses import dataclass, field

import torch
from torch.nn import functional as F

from .optimizers import OPTIMIZERS, flatten_parameters_

SCHEDULES = {
    "constant": lambda epoch, epochs: 1.0,
    "step": lambda epoch, epochs: 0.1 ** (epoch // max(1, epochs // 3)),     # /10 every third
    "cosine": lambda epoch, epochs: 0.5 * (1 + math.cos(math.pi * epoch / epochs)),
}


@dataclass
class History:
    train_loss: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    val_accuracy: list = field(default_factory=list)
    learning_rate: list = field(default_factory=list)
    best_epoch: int = 0
    stopped_early: bool = False


@contextlib.contextmanager
def evaluating(model):
    """Evaluation mode (dropout off) without gradients; the model's mode is restored after."""
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            yield
    finally:
        model.train(was_training)


def accuracy(model, X, y, batch_size=1024):
    """Fraction of correct argmax predictions, in evaluation mode."""
    with evaluating(model):
        correct = sum((model(X[i:i + batch_size]).argmax(1) == y[i:i + batch_size]).sum().item()
                      for i in range(0, len(X), batch_size))
    return correct / len(X)


def evaluate_loss(model, X, y):
    """Mean cross-entropy, in evaluation mode."""
    with evaluating(model):
        return F.cross_entropy(model(X), y).item()


def validate(model, X, y):
    """(evaluate_loss, accuracy) of the model on (X, y) from one pass over the data."""
    with evaluating(model):
        scores = model(X)
        return F.cross_entropy(scores, y).item(), (scores.argmax(1) == y).sum().item() / len(X)


def fit(model, X, y, X_val=None, y_val=None, epochs=20, batch_size=64, optimizer="adam",
        lr=1e-3, weight_decay=0.0, schedule="constant", patience=None, seed=0, progress=False,
        perturb=None):
    """Train ``model`` on (X, y) with cross-entropy; returns a History.

    ``schedule`` scales the learning rate per epoch (see SCHEDULES). With ``patience`` and a
    validation set, training stops once the validation loss has not improved for that many
    epochs, and the weights of the best epoch are restored (early stopping). ``perturb(model,
    x, y)``, if given, replaces each batch's inputs before the step (adversarial training).
    """
    generator = torch.Generator().manual_seed(seed)
    # the parameters as views of one flat tensor: the optimizer updates them all at once
    # (a few operations per step instead of a few per parameter; the same numbers)
    flat, flat_grad = flatten_parameters_([p for p in model.parameters() if p.requires_grad])
    opt = OPTIMIZERS[optimizer]([flat], lr=lr, weight_decay=weight_decay)
    history, best, best_state = History(), math.inf, None
    model.train()
    epochs_seen = range(epochs)
    if progress:
        from tqdm.auto import tqdm
        epochs_seen = tqdm(epochs_seen, desc="epochs", leave=False)
    for epoch in epochs_seen:
        opt.lr = lr * SCHEDULES[schedule](epoch, epochs)
        order = torch.randperm(len(X), generator=generator).to(X.device)
        total = 0.0
        for i in range(0, len(X), batch_size):
            batch = order[i:i + batch_size]
            inputs = X[batch] if perturb is None else perturb(model, X[batch], y[batch])
            flat_grad.zero_()
            loss = F.cross_entropy(model(inputs), y[batch])
            loss.backward()
            opt.step([flat_grad])
            total += loss.item() * len(batch)
        history.train_loss.append(total / len(X))
        history.learning_rate.append(opt.lr)
        if X_val is None:
            continue
        val_loss, val_accuracy = validate(model, X_val, y_val)
        history.val_loss.append(val_loss)
        history.val_accuracy.append(val_accuracy)
        if history.val_loss[-1] < best:
            best, history.best_epoch = history.val_loss[-1], epoch
            best_state = copy.deepcopy(model.state_dict()) if patience else None
        elif patience and epoch - history.best_epoch >= patience:
            history.stopped_early = True
            break
    if best_state is not None:
        model.load_state_dict(best_state)
    return history
