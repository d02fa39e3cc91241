"""Principal component analysis from scratch, with scikit-learn's names.

The components are the eigenvectors of the covariance matrix C = X_c^T X_c / (n - 1) of
the centred data X_c; we get them from the SVD X_c = U S V^T, since C = V S^2 V^T / (n - 1)
(derived on the PCA page).
"""
import numpy as np


class PCA:
    def __init__(self, n_components=2):
        self.n_components = n_components

    def fit(self, X):
        X = np.asarray(X, dtype=float)
        self.mean_ = X.mean(axis=0)
        _, s, vt = np.linalg.svd(X - self.mean_, full_matrices=False)
        # fix the sign of each axis (largest |entry| positive), as scikit-learn does
        signs = np.sign(vt[np.arange(len(vt)), np.abs(vt).argmax(axis=1)])
        vt *= signs[:, None]
        variance = s**2 / (len(X) - 1)
        self.components_ = vt[: self.n_components]
        self.explained_variance_ = variance[: self.n_components]
        self.explained_variance_ratio_ = self.explained_variance_ / variance.sum()
        return self

    def transform(self, X):
        return (np.asarray(X, dtype=float) - self.mean_) @ self.components_.T

    def fit_transform(self, X):
        return self.fit(X).transform(X)

    def inverse_transform(self, Z):
        return np.asarray(Z) @ self.components_ + self.mean_
