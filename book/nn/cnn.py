"""Two small convolutional networks, and reading a phase transition off a classifier.

``DigitsCNN`` sees 8x8 digit images: two rounds of (3x3 convolution, ReLU, 2x2 max pooling),
then a linear readout. ``PhaseCNN`` sees Ising configurations: one round of 3x3 convolutions
with periodic padding (the lattice wraps around), ReLU, and an average over the whole lattice,
so it asks "what fraction of the lattice looks like this pattern?" - translation invariant,
like the physics.
"""
import numpy as np
import torch
from torch import nn


class DigitsCNN(nn.Sequential):
    def __init__(self, channels=(16, 32), n_classes=10, image_size=8, dropout=0.0):
        c1, c2 = channels
        super().__init__(
            nn.Conv2d(1, c1, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(c1, c2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Dropout(dropout), nn.Linear(c2 * (image_size // 4) ** 2, n_classes))


class PhaseCNN(nn.Sequential):
    def __init__(self, channels=8, n_classes=2):
        super().__init__(
            nn.Conv2d(1, channels, 3, padding=1, padding_mode="circular"), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(channels, n_classes))


def images(X, size=None):
    """(n, features) or (n, H, W) arrays -> float tensor (n, 1, H, W)."""
    X = torch.as_tensor(np.asarray(X), dtype=torch.float32)
    if X.dim() == 2:
        size = size or int(round(X.shape[1] ** 0.5))
        X = X.reshape(len(X), size, size)
    return X.unsqueeze(1)


def crossing(temperatures, p_ordered):
    """Temperature where the mean p(ordered) first falls through 1/2 (linear interpolation).

    ``temperatures`` sorted ascending, one value per configuration or per temperature.
    """
    levels = np.unique(temperatures)
    mean = np.array([np.mean(p_ordered[temperatures == t]) for t in levels])
    below = np.nonzero(mean < 0.5)[0]
    if len(below) == 0 or below[0] == 0:
        return float("nan")
    k = below[0]
    t0, t1, p0, p1 = levels[k - 1], levels[k], mean[k - 1], mean[k]
    return float(t0 + (p0 - 0.5) * (t1 - t0) / (p0 - p1))
