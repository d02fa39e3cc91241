"""k-means clustering (Lloyd's algorithm with k-means++ seeding), written to be read."""
import numpy as np


def _squared_distances(X, centers):
    return ((X[:, None, :] - centers[None, :, :]) ** 2).sum(-1)


def kmeans_plus_plus(X, n_clusters, rng):
    """Pick each new center with probability proportional to its squared distance."""
    centers = [X[rng.integers(len(X))]]
    for _ in range(1, n_clusters):
        d2 = _squared_distances(X, np.array(centers)).min(axis=1)
        centers.append(X[rng.choice(len(X), p=d2 / d2.sum())])
    return np.array(centers)


class KMeans:
    def __init__(self, n_clusters=3, n_init=5, max_iter=100, random_state=0):
        self.n_clusters, self.n_init, self.max_iter = n_clusters, n_init, max_iter
        self.random_state = random_state

    def _lloyd(self, X, centers):
        for _ in range(self.max_iter):
            labels = _squared_distances(X, centers).argmin(axis=1)
            new = np.array([X[labels == k].mean(0) if np.any(labels == k) else centers[k]
                            for k in range(self.n_clusters)])
            if np.allclose(new, centers):
                break
            centers = new
        d2 = _squared_distances(X, centers)
        return centers, d2.argmin(axis=1), d2.min(axis=1).sum()

    def fit(self, X):
        X = np.asarray(X, dtype=float)
        rng = np.random.default_rng(self.random_state)
        runs = [self._lloyd(X, kmeans_plus_plus(X, self.n_clusters, rng)) for _ in range(self.n_init)]
        self.cluster_centers_, self.labels_, self.inertia_ = min(runs, key=lambda r: r[2])
        return self

    def predict(self, X):
        return _squared_distances(np.asarray(X, dtype=float), self.cluster_centers_).argmin(axis=1)
