"""Small scores used across Part I."""
import numpy as np


def best_threshold_accuracy(score, labels):
    """Accuracy of the best single cut on a 1D score (either direction), for two classes.

    It asks how well one coordinate (a principal component, say) separates the classes.
    """
    score, labels = np.asarray(score, dtype=float), np.asarray(labels).astype(bool)
    order = np.argsort(score)
    ones_below = np.concatenate([[0], np.cumsum(labels[order])])  # class-1 points at or below each cut
    n, n_ones = len(score), labels.sum()
    below = np.arange(n + 1)
    correct_if_high = (below - ones_below) + (n_ones - ones_below)   # class 1 above the cut
    return float(max(correct_if_high.max(), (n - correct_if_high).max()) / n)


def r_squared(features, targets):
    """Fraction of the variance of ``targets`` (one or several columns) explained by a
    least-squares fit on ``features`` plus an intercept: 1 means the targets are a linear
    function of the features, 0 that the features tell nothing about them.

    It asks, for example, whether two kernel-PCA components are the cosine and sine of an angle.
    """
    features = np.asarray(features, dtype=float).reshape(len(features), -1)
    targets = np.asarray(targets, dtype=float).reshape(len(targets), -1)
    A = np.hstack([features, np.ones((len(features), 1))])
    residual = targets - A @ np.linalg.lstsq(A, targets, rcond=None)[0]
    return float(1 - (residual**2).sum() / ((targets - targets.mean(0)) ** 2).sum())
