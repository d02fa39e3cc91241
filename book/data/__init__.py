"""Data sets of the course: generated here or shipped inside an installed package."""
import gzip
import importlib.util
import pathlib

import numpy as np

from .ising import T_CRITICAL, magnetization, sample_ising

__all__ = ["T_CRITICAL", "load_digits", "magnetization", "make_2d", "sample_ising"]


def load_digits():
    """scikit-learn's 8x8 handwritten digits (1797 images, shipped with the package).

    Returns ``(X, y)`` with X of shape (1797, 64), pixel values scaled to [0, 1]. Read from
    the file scikit-learn ships, as scikit-learn reads it, without importing scikit-learn
    (which takes a second).
    """
    package = importlib.util.find_spec("sklearn")       # found, not imported
    path = pathlib.Path(package.origin).parent / "datasets" / "data" / "digits.csv.gz"
    with gzip.open(path, "rt", encoding="utf-8") as file:
        data = np.loadtxt(file, delimiter=",")            # 64 pixels (0-16), then the label
    return data[:, :-1] / 16.0, data[:, -1].astype(int)


def digits_split(n_test=450, seed=0):
    """The split of the digits that the unsupervised and interpretability pages (and their
    widgets) share: (train, test) row indices, the first ``n_test`` of one fixed permutation
    for testing, the other 1347 for training."""
    order = np.random.default_rng(seed).permutation(1797)
    return order[n_test:], order[:n_test]


def make_2d(name, n_samples=400, noise=0.1, seed=0):
    """Small 2D classification sets: ``moons``, ``circles``, ``blobs``, ``xor``, ``spirals``.

    The moons and the circles are scikit-learn's ``make_moons`` and ``make_circles``, point for
    point, drawn here without importing scikit-learn (which takes most of a second)."""
    rng = np.random.default_rng(seed)
    if name == "moons":
        angle_out, angle_in = _halves(n_samples, np.pi, endpoint=True)
        X = np.stack([np.append(np.cos(angle_out), 1 - np.cos(angle_in)),
                      np.append(np.sin(angle_out), 1 - np.sin(angle_in) - 0.5)], axis=1)
        return _shuffled_with_noise(X, len(angle_out), noise, seed)
    if name == "circles":
        angle_out, angle_in = _halves(n_samples, 2 * np.pi, endpoint=False)
        factor = 0.4                                        # the inner circle's radius
        X = np.stack([np.append(np.cos(angle_out), factor * np.cos(angle_in)),
                      np.append(np.sin(angle_out), factor * np.sin(angle_in))], axis=1)
        return _shuffled_with_noise(X, len(angle_out), noise, seed)
    if name == "blobs":
        from sklearn import datasets
        return datasets.make_blobs(n_samples, centers=3, cluster_std=1.0, random_state=seed)
    if name == "xor":
        X = rng.uniform(-1, 1, size=(n_samples, 2))
        y = (X[:, 0] * X[:, 1] > 0).astype(int)
        return X + noise * rng.normal(size=X.shape), y
    if name == "spirals":
        n = n_samples // 2
        t = np.sqrt(rng.uniform(0.05, 1, n)) * 3 * np.pi
        arm = np.stack([t * np.cos(t), t * np.sin(t)], axis=1) / (3 * np.pi)
        X = np.concatenate([arm, -arm]) + noise * rng.normal(size=(2 * n, 2))
        return X, np.repeat([0, 1], n)
    raise ValueError(f"unknown data set {name!r}: choose moons, circles, blobs, xor or spirals")


def _halves(n_samples, span, endpoint):
    """The angles of scikit-learn's two classes: n // 2 for class 0, the rest for class 1."""
    n_out = n_samples // 2
    return (np.linspace(0, span, n_out, endpoint=endpoint),
            np.linspace(0, span, n_samples - n_out, endpoint=endpoint))


def _shuffled_with_noise(X, n_out, noise, seed):
    """Labels 0 then 1, shuffled and blurred with Gaussian noise as scikit-learn does: one
    legacy RandomState(seed) shuffles the indices, then draws the noise."""
    y = np.repeat([0, 1], [n_out, len(X) - n_out]).astype(np.intp)
    generator = np.random.RandomState(seed)
    order = np.arange(len(X))
    generator.shuffle(order)
    X, y = X[order], y[order]
    return X + generator.normal(scale=noise, size=X.shape), y
