"""Linear regression: normal equations, gradient descent, ridge and lasso.

Loss: L(w) = ||X w - y||^2 / (2n), gradient X^T (X w - y) / n (derived on the
linear-regression page). The penalized models keep scikit-learn's conventions:
Ridge(alpha) minimizes ||X w - y||^2 + alpha ||w||^2, which is 2n (L(w) + lambda ||w||^2)
with alpha = 2 n lambda; Lasso(alpha) minimizes L(w) + alpha ||w||_1.
"""
from dataclasses import dataclass

import numpy as np


def add_bias(X):
    """Prepend a column of ones so that w[0] is the intercept."""
    X = np.asarray(X, dtype=float)
    return np.hstack([np.ones((len(X), 1)), X])


class LinearRegression:
    """Ordinary least squares by the normal equations X^T X w = X^T y (with lstsq for stability)."""

    def fit(self, X, y):
        w, *_ = np.linalg.lstsq(add_bias(X), np.asarray(y, dtype=float), rcond=None)
        self.intercept_, self.coef_ = w[0], w[1:]
        return self

    def predict(self, X):
        return np.asarray(X, dtype=float) @ self.coef_ + self.intercept_


class Ridge(LinearRegression):
    """||X w - y||^2 + alpha ||w||^2, intercept not penalized, as scikit-learn's Ridge:
    (X_c^T X_c + alpha I) w = X_c^T y_c on centred data. A penalty lambda ||w||^2 added to
    L(w) = ||X w - y||^2 / (2n) is alpha = 2 n lambda."""

    def __init__(self, alpha=1.0):
        self.alpha = alpha

    def fit(self, X, y):
        X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
        x_mean, y_mean = X.mean(0), y.mean()
        Xc = X - x_mean
        self.coef_ = np.linalg.solve(Xc.T @ Xc + self.alpha * np.eye(X.shape[1]), Xc.T @ (y - y_mean))
        self.intercept_ = y_mean - x_mean @ self.coef_
        return self


class Lasso(LinearRegression):
    """||Xw - y||^2/(2n) + alpha ||w||_1, as scikit-learn's Lasso, by cyclic coordinate descent
    with soft thresholding."""

    def __init__(self, alpha=1.0, max_iter=1000, tol=1e-8):
        self.alpha, self.max_iter, self.tol = alpha, max_iter, tol

    def fit(self, X, y):
        X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
        x_mean, y_mean = X.mean(0), y.mean()
        Xc, yc = X - x_mean, y - y_mean
        n, d = Xc.shape
        w = np.zeros(d)
        col_sq = (Xc**2).sum(0) / n
        residual = yc.copy()
        for _ in range(self.max_iter):
            biggest_step = 0.0
            for j in range(d):
                rho = Xc[:, j] @ residual / n + col_sq[j] * w[j]
                new = np.sign(rho) * max(abs(rho) - self.alpha, 0.0) / col_sq[j]
                residual -= Xc[:, j] * (new - w[j])
                biggest_step = max(biggest_step, abs(new - w[j]))
                w[j] = new
            if biggest_step < self.tol:
                break
        self.coef_, self.intercept_ = w, y_mean - x_mean @ w
        return self


@dataclass
class DescentResult:
    weights: np.ndarray   # final weights, intercept first
    path: np.ndarray      # weights after every step, shape (n_steps + 1, d + 1)
    loss: np.ndarray      # loss after every step


def mse_loss(Xb, y, w):
    return float(((Xb @ w - y) ** 2).mean() / 2)


def gradient_descent(X, y, learning_rate=0.1, n_steps=100, w0=None):
    """Full-batch gradient descent on the squared loss; returns every iterate."""
    Xb, y = add_bias(X), np.asarray(y, dtype=float)
    w = np.zeros(Xb.shape[1]) if w0 is None else np.asarray(w0, dtype=float).copy()
    path, loss = [w.copy()], [mse_loss(Xb, y, w)]
    for _ in range(n_steps):
        w = w - learning_rate * Xb.T @ (Xb @ w - y) / len(y)
        path.append(w.copy())
        loss.append(mse_loss(Xb, y, w))
    return DescentResult(w, np.array(path), np.array(loss))


def polynomial_features(x, degree):
    """Columns x, x^2, ..., x^degree of a 1D input."""
    return np.asarray(x, dtype=float)[:, None] ** np.arange(1, degree + 1)


def bias_variance(degrees, n_datasets=200, n_points=20, noise=0.3, seed=0):
    """Squared bias and variance of polynomial least squares on y = sin(2 pi x) + noise.

    Fits each degree on ``n_datasets`` fresh training sets and evaluates on a fixed grid.
    Returns dict of arrays keyed 'degree', 'bias2', 'variance', and 'baseline': bias^2 +
    variance of the trivial model that predicts each training set's mean everywhere.
    """
    rng = np.random.default_rng(seed)
    grid = np.linspace(0, 1, 50)
    truth = np.sin(2 * np.pi * grid)
    bias2, variance = [], []
    for degree in degrees:
        preds = []
        for _ in range(n_datasets):
            x = rng.uniform(0, 1, n_points)
            y = np.sin(2 * np.pi * x) + noise * rng.normal(size=n_points)
            model = Ridge(alpha=1e-8).fit(polynomial_features(x, degree), y)
            preds.append(model.predict(polynomial_features(grid, degree)))
        preds = np.array(preds)
        bias2.append(((preds.mean(0) - truth) ** 2).mean())
        variance.append(preds.var(0).mean())
    means = np.array([(np.sin(2 * np.pi * rng.uniform(0, 1, n_points))
                       + noise * rng.normal(size=n_points)).mean() for _ in range(n_datasets)])
    baseline = ((means.mean() - truth) ** 2).mean() + means.var()
    return {"degree": np.asarray(degrees), "bias2": np.array(bias2), "variance": np.array(variance),
            "baseline": float(baseline)}
