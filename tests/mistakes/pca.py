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
}
