"""Common mistakes in the kernel_pca exercise, each caught by a visible test."""

MISTAKES = {
    'an RBF kernel of the distance, not the squared distance': ('kpca-gram', """
def rbf_gram(X, gamma):
    X = np.asarray(X, dtype=float)
    distances = np.sqrt(((X[:, None, :] - X[None, :, :]) ** 2).sum(-1))
    return np.exp(-gamma * distances)
""", 'kpca-gram-test'),
    'squared distances expanded without the factor 2': ('kpca-gram', """
def rbf_gram(X, gamma):
    X = np.asarray(X, dtype=float)
    sq = (X ** 2).sum(1)[:, None] + (X ** 2).sum(1)[None, :] - X @ X.T
    return np.exp(-gamma * sq)
""", 'kpca-gram-test'),
    'gamma used as a width (divided by) instead of a rate': ('kpca-gram', """
def rbf_gram(X, gamma):
    X = np.asarray(X, dtype=float)
    sq = ((X[:, None, :] - X[None, :, :]) ** 2).sum(-1)
    return np.exp(-sq / gamma)
""", 'kpca-gram-test'),
    'a Gram matrix centred on one side only': ('kpca-center', """
def center_gram(K):
    K = np.asarray(K, dtype=float)
    return K - K.mean(axis=0)
""", 'kpca-center-test'),
    'a centred Gram matrix without the overall mean added back': ('kpca-center', """
def center_gram(K):
    K = np.asarray(K, dtype=float)
    return K - K.mean(0)[None, :] - K.mean(1)[:, None]
""", 'kpca-center-test'),
    'the eigenvectors of the smallest eigenvalues (eigh sorts them increasing)': ('kpca-project', """
def kernel_pca(K, n_components):
    eigenvalues, eigenvectors = np.linalg.eigh(center_gram(K))
    return eigenvectors[:, :n_components] * np.sqrt(np.maximum(eigenvalues[:n_components], 0.0))
""", 'kpca-project-test'),
    'unit eigenvectors returned without the sqrt(mu) scaling': ('kpca-project', """
def kernel_pca(K, n_components):
    eigenvalues, eigenvectors = np.linalg.eigh(center_gram(K))
    order = np.argsort(eigenvalues)[::-1][:n_components]
    return eigenvectors[:, order]
""", 'kpca-project-test'),
    'eigenvectors divided by sqrt(mu) instead of multiplied': ('kpca-project', """
def kernel_pca(K, n_components):
    eigenvalues, eigenvectors = np.linalg.eigh(center_gram(K))
    order = np.argsort(eigenvalues)[::-1][:n_components]
    return eigenvectors[:, order] / np.sqrt(eigenvalues[order])
""", 'kpca-project-test'),
    'the eigenvectors of the uncentred Gram matrix': ('kpca-project', """
def kernel_pca(K, n_components):
    eigenvalues, eigenvectors = np.linalg.eigh(np.asarray(K, dtype=float))
    order = np.argsort(eigenvalues)[::-1][:n_components]
    return eigenvectors[:, order] * np.sqrt(np.maximum(eigenvalues[order], 0.0))
""", 'kpca-project-test'),
}
