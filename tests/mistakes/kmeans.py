"""Common mistakes in the kmeans exercise, each caught by a visible test."""

MISTAKES = {
    'the farthest center instead of the nearest (argmax)': ('kmeans-assign', """
def assign_clusters(X, centers):
    X, centers = np.asarray(X, dtype=float), np.asarray(centers, dtype=float)
    return ((X[:, None, :] - centers[None]) ** 2).sum(-1).argmax(axis=1)
""", 'kmeans-assign-test'),
    'differences summed without squaring them': ('kmeans-assign', """
def assign_clusters(X, centers):
    X, centers = np.asarray(X, dtype=float), np.asarray(centers, dtype=float)
    return (X[:, None, :] - centers[None]).sum(-1).argmin(axis=1)
""", 'kmeans-assign-test'),
    'the nearest point of each center (argmin over the wrong axis)': ('kmeans-assign', """
def assign_clusters(X, centers):
    X, centers = np.asarray(X, dtype=float), np.asarray(centers, dtype=float)
    return ((X[:, None, :] - centers[None]) ** 2).sum(-1).argmin(axis=0)
""", 'kmeans-assign-test'),
    'centers as sums of their points, not means': ('kmeans-update', """
def update_centers(X, labels, k):
    X, labels = np.asarray(X, dtype=float), np.asarray(labels)
    return np.array([X[labels == a].sum(axis=0) for a in range(k)])


def inertia(X, centers, labels):
    X, centers = np.asarray(X, dtype=float), np.asarray(centers, dtype=float)
    return float(((X - centers[np.asarray(labels)]) ** 2).sum())
""", 'kmeans-update-test'),
    'an inertia of distances, not squared distances': ('kmeans-update', """
def update_centers(X, labels, k):
    X, labels = np.asarray(X, dtype=float), np.asarray(labels)
    return np.array([X[labels == a].mean(axis=0) for a in range(k)])


def inertia(X, centers, labels):
    X, centers = np.asarray(X, dtype=float), np.asarray(centers, dtype=float)
    return float(np.sqrt(((X - centers[np.asarray(labels)]) ** 2).sum(axis=1)).sum())
""", 'kmeans-update-test'),
    'an inertia averaged over the points instead of summed': ('kmeans-update', """
def update_centers(X, labels, k):
    X, labels = np.asarray(X, dtype=float), np.asarray(labels)
    return np.array([X[labels == a].mean(axis=0) for a in range(k)])


def inertia(X, centers, labels):
    X, centers = np.asarray(X, dtype=float), np.asarray(centers, dtype=float)
    return float(((X - centers[np.asarray(labels)]) ** 2).sum(axis=1).mean())
""", 'kmeans-update-test'),
    'an inertia to the nearest center, ignoring the labels': ('kmeans-update', """
def update_centers(X, labels, k):
    X, labels = np.asarray(X, dtype=float), np.asarray(labels)
    return np.array([X[labels == a].mean(axis=0) for a in range(k)])


def inertia(X, centers, labels):
    X, centers = np.asarray(X, dtype=float), np.asarray(centers, dtype=float)
    return float(((X[:, None, :] - centers[None]) ** 2).sum(-1).min(axis=1).sum())
""", 'kmeans-update-test'),
    'a loop that never stores the new labels': ('kmeans-lloyd', """
def lloyd(X, initial_centers, n_iter=100):
    centers = np.asarray(initial_centers, dtype=float)
    labels = assign_clusters(X, centers)
    for _ in range(n_iter):
        centers = update_centers(X, labels, len(centers))
        new_labels = assign_clusters(X, centers)
        if np.array_equal(new_labels, labels):
            break
    return centers, labels
""", 'kmeans-lloyd-test'),
    'a single round of the two steps': ('kmeans-lloyd', """
def lloyd(X, initial_centers, n_iter=100):
    centers = np.asarray(initial_centers, dtype=float)
    labels = assign_clusters(X, centers)
    centers = update_centers(X, labels, len(centers))
    return centers, assign_clusters(X, centers)
""", 'kmeans-lloyd-test'),
    'the centers of the previous round returned with the new labels': ('kmeans-lloyd', """
def lloyd(X, initial_centers, n_iter=100):
    centers = np.asarray(initial_centers, dtype=float)
    labels = assign_clusters(X, centers)
    for _ in range(n_iter):
        new_centers = update_centers(X, labels, len(centers))
        new_labels = assign_clusters(X, new_centers)
        if np.array_equal(new_labels, labels):
            break
        centers, labels = new_centers, new_labels
    return centers, labels
""", 'kmeans-lloyd-test'),
}
