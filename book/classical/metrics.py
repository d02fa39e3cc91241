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
