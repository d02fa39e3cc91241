"""A small dense classifier on a 2D data set, trained step by step (the playground's engine)."""
import numpy as np
import torch
from torch.nn import functional as F

from ..data import make_2d
from ..device import get_device
from .dense import MLP
from .optimizers import OPTIMIZERS
from .training import accuracy

DATASETS = ("moons", "circles", "xor", "spirals")


class Classifier2D:
    """Full-batch training of an MLP on 70% of a 2D data set; the other 30% is held out."""

    def __init__(self, dataset="moons", noise=0.15, depth=2, width=16, activation="tanh",
                 optimizer="adam", learning_rate=0.03, weight_decay=0.0, seed=0, n_samples=300,
                 device=None):
        self.device = device or get_device()
        X, y = make_2d(dataset, n_samples, noise=noise, seed=seed)
        order = np.random.default_rng(seed).permutation(len(X))
        cut = int(0.7 * len(X))
        to = lambda a, dtype: torch.as_tensor(np.asarray(a), dtype=dtype, device=self.device)  # noqa: E731
        self.X_train, self.y_train = to(X[order[:cut]], torch.float32), to(y[order[:cut]], torch.long)
        self.X_test, self.y_test = to(X[order[cut:]], torch.float32), to(y[order[cut:]], torch.long)
        self.X, self.y = X, y
        torch.manual_seed(seed)
        self.model = MLP(2, width, depth, 2, activation).to(self.device)
        self.optimizer = OPTIMIZERS[optimizer](self.model.parameters(), lr=learning_rate,
                                               weight_decay=weight_decay)
        self.train_loss, self.test_loss = [], []

    def step(self):
        """One gradient step on the training set; returns (train loss, test loss)."""
        self.optimizer.zero_grad()
        loss = F.cross_entropy(self.model(self.X_train), self.y_train)
        loss.backward()
        self.optimizer.step()
        with torch.no_grad():
            test = F.cross_entropy(self.model(self.X_test), self.y_test).item()
        self.train_loss.append(loss.item())
        self.test_loss.append(test)
        return self.train_loss[-1], test

    def train(self, steps):
        """``steps`` gradient steps in a row; returns self."""
        for _ in range(steps):
            self.step()
        return self

    def accuracy(self, split="test"):
        X, y = (self.X_test, self.y_test) if split == "test" else (self.X_train, self.y_train)
        return accuracy(self.model, X, y)

    def proba(self, points):
        """p(class 1) at the given (n, 2) points, as a numpy array."""
        with torch.no_grad():
            logits = self.model(torch.as_tensor(np.asarray(points), dtype=torch.float32,
                                                device=self.device))
            return torch.softmax(logits, dim=1)[:, 1].cpu().numpy()
