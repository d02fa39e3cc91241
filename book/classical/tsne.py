"""The first half of t-SNE from scratch: input similarities at a chosen perplexity.

For each point i, a Gaussian of width sigma_i defines p_{j|i}; sigma_i is found by
bisection so that the perplexity 2^{H(P_i)} equals the requested value. The embedding
itself uses scikit-learn's optimizer (Barnes-Hut), which minimizes KL(P || Q).
"""
import numpy as np
from sklearn.manifold import TSNE


def conditional_probabilities(X, perplexity=30.0, tol=1e-5, max_iter=100):
    """Return (P, sigmas): rows p_{j|i} with entropy log2(perplexity), and the widths."""
    X = np.asarray(X, dtype=float)
    d2 = ((X[:, None] - X[None]) ** 2).sum(-1)
    n = len(X)
    target = np.log(perplexity)  # entropy in nats
    P, sigmas = np.zeros((n, n)), np.zeros(n)
    for i in range(n):
        dist = np.delete(d2[i], i)
        lo, hi, beta = 0.0, np.inf, 1.0  # beta = 1 / (2 sigma^2)
        for _ in range(max_iter):
            p = np.exp(-(dist - dist.min()) * beta)
            p /= p.sum()
            entropy = -(p * np.log(np.maximum(p, 1e-300))).sum()
            if abs(entropy - target) < tol:
                break
            if entropy > target:     # too flat: narrow the Gaussian
                lo, beta = beta, beta * 2 if hi == np.inf else (beta + hi) / 2
            else:
                hi, beta = beta, (beta + lo) / 2
        P[i, np.arange(n) != i] = p
        sigmas[i] = np.sqrt(1 / (2 * beta))
    return P, sigmas


def perplexity_of(P):
    """exp of the row entropies (in nats) of a conditional-probability matrix."""
    return np.exp(-(P * np.log(np.where(P > 0, P, 1.0))).sum(axis=1))


def embed(X, perplexity=30.0, seed=0, n_iter=500):
    """2D t-SNE embedding (scikit-learn, PCA initialization, fixed seed)."""
    return TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=seed,
                max_iter=n_iter, method="barnes_hut").fit_transform(np.asarray(X, dtype=float))
