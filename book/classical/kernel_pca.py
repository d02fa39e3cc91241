"""Kernel PCA from scratch: PCA in the feature space of a kernel k(x, x').

We never build the features; we centre the Gram matrix K in feature space,
K_c = K - 1K - K1 + 1K1 (1 = matrix of entries 1/n), and diagonalize it. The projection
of training point i on component a is sqrt(lambda_a) * alpha_a[i].
"""
import numpy as np
from threadpoolctl import threadpool_limits


def rbf_kernel(X, Y, gamma):
    sq = (X**2).sum(1)[:, None] + (Y**2).sum(1)[None, :] - 2 * X @ Y.T
    return np.exp(-gamma * np.maximum(sq, 0.0))


class KernelPCA:
    def __init__(self, n_components=2, gamma=1.0):
        self.n_components = n_components
        self.gamma = gamma

    def fit_transform(self, X):
        X = np.asarray(X, dtype=float)
        n = len(X)
        K = rbf_kernel(X, X, self.gamma)
        one = np.full((n, n), 1.0 / n)
        # up to a thousand points, one BLAS thread is faster: threads that wait for each other
        # on a busy machine made this step ten times slower
        with threadpool_limits(limits=1 if n <= 1000 else None, user_api="blas"):
            Kc = K - one @ K - K @ one + one @ K @ one
            eigenvalues, eigenvectors = np.linalg.eigh(Kc)
        order = np.argsort(eigenvalues)[::-1][: self.n_components]
        self.eigenvalues_ = eigenvalues[order]
        alphas = eigenvectors[:, order]
        alphas *= np.sign(alphas[np.abs(alphas).argmax(axis=0), np.arange(alphas.shape[1])])
        self.eigenvectors_ = alphas
        return alphas * np.sqrt(np.maximum(self.eigenvalues_, 0.0))
