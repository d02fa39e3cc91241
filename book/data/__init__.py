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


def make_2d(name, n_samples=400, noise=0.1, seed=0):
    """Small 2D classification sets: ``moons``, ``circles``, ``blobs``, ``xor``, ``spirals``."""
    from sklearn import datasets

    rng = np.random.default_rng(seed)
    if name == "moons":
        return datasets.make_moons(n_samples, noise=noise, random_state=seed)
    if name == "circles":
        return datasets.make_circles(n_samples, noise=noise, factor=0.4, random_state=seed)
    if name == "blobs":
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
