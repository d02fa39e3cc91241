"""Common mistakes in the pca exercise, each caught by a visible test."""

MISTAKES = {
    'projecting uncentred data': ('pca-project', """
def project(X, components):
    return np.asarray(X, dtype=float) @ np.asarray(components).T

def explained_variance_ratio(X, n_components):
    return principal_components(X, n_components)[1] / np.trace(covariance(X))
""", 'pca-project-test'),
    'explained variance over the kept components only': ('pca-project', """
def project(X, components):
    X = np.asarray(X, dtype=float)
    return (X - X.mean(axis=0)) @ np.asarray(components).T

def explained_variance_ratio(X, n_components):
    variances = principal_components(X, n_components)[1]
    return variances / variances.sum()
""", 'pca-project-test'),
    'a covariance divided by n instead of n - 1': ('pca-covariance', """
def covariance(X):
    X = np.asarray(X, dtype=float)
    Xc = X - X.mean(axis=0)
    return Xc.T @ Xc / len(X)
""", 'pca-covariance-test'),
    'a covariance of uncentred data': ('pca-covariance', """
def covariance(X):
    X = np.asarray(X, dtype=float)
    return X.T @ X / (len(X) - 1)
""", 'pca-covariance-test'),
    'a covariance over the samples (n x n) instead of the features': ('pca-covariance', """
def covariance(X):
    X = np.asarray(X, dtype=float)
    Xc = X - X.mean(axis=1, keepdims=True)
    return Xc @ Xc.T / (X.shape[1] - 1)
""", 'pca-covariance-test'),
    'components taken from the rows of the eigenvector matrix of eigh': ('pca-components', """
def principal_components(X, n_components):
    eigenvalues, eigenvectors = np.linalg.eigh(covariance(X))
    order = np.argsort(eigenvalues)[::-1][:n_components]
    return eigenvectors[order], eigenvalues[order]
""", 'pca-components-test'),
    'components left in the increasing order of eigh': ('pca-components', """
def principal_components(X, n_components):
    eigenvalues, eigenvectors = np.linalg.eigh(covariance(X))
    return eigenvectors[:, -n_components:].T, eigenvalues[-n_components:]
""", 'pca-components-test'),
}
