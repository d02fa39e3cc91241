"""The first half of t-SNE from scratch: input similarities at a chosen perplexity.

For each point i, a Gaussian of width sigma_i defines p_{j|i}; sigma_i is found by
bisection so that the perplexity 2^{H(P_i)} equals the requested value. The embedding
itself uses scikit-learn's optimizer (Barnes-Hut), which minimizes KL(P || Q). Two measures
read a map: how often a point's nearest neighbour shares its label, and how many clumps
each label breaks into.
"""
import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial import cKDTree
from sklearn.manifold import TSNE
from threadpoolctl import threadpool_limits


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
    """2D t-SNE embedding (scikit-learn, PCA initialization, fixed seed).

    One OpenMP thread: for a few hundred points the Barnes-Hut gradient is tiny, and threads
    that wait for each other on a busy machine made it up to twenty times slower.
    """
    with threadpool_limits(limits=1, user_api="openmp"):
        return TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=seed,
                    max_iter=n_iter, method="barnes_hut").fit_transform(np.asarray(X, dtype=float))


def neighbour_agreement(Z, labels):
    """Fraction of points whose nearest neighbour in Z (other than themselves) has their label."""
    labels = np.asarray(labels)
    _, nearest = cKDTree(Z).query(Z, k=2)
    return float((labels[nearest[:, 1]] == labels).mean())


def count_clumps(Z, labels, gap=5.0, min_size=5):
    """Clumps per label: groups of at least ``min_size`` points of one label, linked by steps
    shorter than ``gap`` times the median nearest-neighbour distance of the whole embedding
    (single linkage). Scale-free, so maps of different perplexity can be compared; a label
    that forms one island counts 1."""
    Z, labels = np.asarray(Z, dtype=float), np.asarray(labels)
    distance, _ = cKDTree(Z).query(Z, k=2)
    step = gap * np.median(distance[:, 1])
    counts = []
    for value in np.unique(labels):
        points = Z[labels == value]
        if len(points) < 2:
            counts.append(int(len(points) >= min_size))
            continue
        groups = fcluster(linkage(points, method="single"), step, criterion="distance")
        counts.append(int((np.bincount(groups)[1:] >= min_size).sum()))
    return np.array(counts)
