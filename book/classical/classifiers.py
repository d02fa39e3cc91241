"""Logistic and softmax regression trained with PyTorch on the course's device.

Softmax regression: p(y = k | x) = exp(z_k) / sum_j exp(z_j) with z = W x + b, trained by
minimizing the cross-entropy. Two classes with one logit reduce to logistic regression.
The gradient steps are book.nn's SGD, torch.optim.SGD's rule written out (torch.optim's first
optimizer imports torch._dynamo, about a second the first time a page trains).
"""
from dataclasses import dataclass

import numpy as np
import torch

from ..device import get_device
from ..nn.optimizers import SGD


@dataclass
class FitResult:
    model: torch.nn.Linear
    loss: np.ndarray        # training loss after every epoch
    device: str


def fit_softmax_regression(X, y, n_classes=None, learning_rate=0.5, n_epochs=200,
                           weight_decay=0.0, seed=0, device=None):
    """Full-batch gradient descent on the cross-entropy of a linear model."""
    device = device or get_device()
    torch.manual_seed(seed)
    X_t = torch.as_tensor(np.asarray(X), dtype=torch.float32, device=device)
    y_t = torch.as_tensor(np.asarray(y), dtype=torch.long, device=device)
    n_classes = n_classes or int(y_t.max()) + 1
    model = torch.nn.Linear(X_t.shape[1], n_classes).to(device)
    optimizer = SGD(model.parameters(), lr=learning_rate, weight_decay=weight_decay)
    losses = []
    for _ in range(n_epochs):
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(X_t), y_t)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return FitResult(model, np.array(losses), str(device))


def predict_proba(model, X):
    """Class probabilities of a trained linear model, as a numpy array."""
    param = next(model.parameters())
    with torch.no_grad():
        logits = model(torch.as_tensor(np.asarray(X), dtype=torch.float32, device=param.device))
        return torch.softmax(logits, dim=1).cpu().numpy()


def accuracy(model, X, y):
    return float((predict_proba(model, X).argmax(1) == np.asarray(y)).mean())
