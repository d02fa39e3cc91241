"""Common mistakes in the tsne exercise, each caught by a visible test."""

MISTAKES = {
    'a Gaussian width of sigma instead of sigma squared': ('tsne-probabilities', """
def neighbour_probabilities(sq_distances, sigma):
    d = np.asarray(sq_distances, dtype=float)
    p = np.exp(-(d - d.min()) / (2 * sigma))
    return p / p.sum()
""", 'tsne-probabilities-test'),
    'the factor 2 left out of 2 sigma^2': ('tsne-probabilities', """
def neighbour_probabilities(sq_distances, sigma):
    d = np.asarray(sq_distances, dtype=float)
    p = np.exp(-(d - d.min()) / sigma ** 2)
    return p / p.sum()
""", 'tsne-probabilities-test'),
    'exponentials taken without subtracting the smallest distance': ('tsne-probabilities', """
def neighbour_probabilities(sq_distances, sigma):
    d = np.asarray(sq_distances, dtype=float)
    p = np.exp(-d / (2 * sigma ** 2))
    return p / p.sum()
""", 'tsne-probabilities-test'),
    'probabilities that are not normalized': ('tsne-probabilities', """
def neighbour_probabilities(sq_distances, sigma):
    d = np.asarray(sq_distances, dtype=float)
    return np.exp(-(d - d.min()) / (2 * sigma ** 2))
""", 'tsne-probabilities-test'),
    'a perplexity from the entropy in nats': ('tsne-perplexity', """
def perplexity(p):
    p = np.asarray(p, dtype=float)
    nonzero = p[p > 0]
    return 2.0 ** (-(nonzero * np.log(nonzero)).sum())
""", 'tsne-perplexity-test'),
    'zero probabilities kept in the entropy (0 * log 0 = nan)': ('tsne-perplexity', """
def perplexity(p):
    p = np.asarray(p, dtype=float)
    return 2.0 ** (-(p * np.log2(p)).sum())
""", 'tsne-perplexity-test'),
    'the entropy returned instead of the perplexity': ('tsne-perplexity', """
def perplexity(p):
    p = np.asarray(p, dtype=float)
    nonzero = p[p > 0]
    return -(nonzero * np.log2(nonzero)).sum()
""", 'tsne-perplexity-test'),
    'a bisection that moves the wrong end': ('tsne-sigma', """
def find_sigma(sq_distances, target, tol=1e-5):
    lo, hi = 1e-6, 1e6
    for _ in range(200):
        mid = np.sqrt(lo * hi)
        value = perplexity(neighbour_probabilities(sq_distances, mid))
        if abs(value - target) < tol:
            break
        if value > target:
            lo = mid
        else:
            hi = mid
    return mid
""", 'tsne-sigma-test'),
    'a bisection that matches the entropy to the target perplexity': ('tsne-sigma', """
def find_sigma(sq_distances, target, tol=1e-5):
    lo, hi = 1e-6, 1e6
    for _ in range(200):
        mid = np.sqrt(lo * hi)
        value = np.log2(perplexity(neighbour_probabilities(sq_distances, mid)))
        if abs(value - target) < tol:
            break
        if value > target:
            hi = mid
        else:
            lo = mid
    return mid
""", 'tsne-sigma-test'),
}
