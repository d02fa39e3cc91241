"""Common mistakes in the autoencoder exercise, each caught by a visible test."""

MISTAKES = {
    "PCA without centring the data": ('ae-pca', """
def pca_reconstruction_error(X_train, X_test, n_components):
    X_train, X_test = np.asarray(X_train, dtype=float), np.asarray(X_test, dtype=float)
    _, _, vt = np.linalg.svd(X_train, full_matrices=False)
    axes = vt[:n_components]
    residual = X_test - X_test @ axes.T @ axes
    return float((residual ** 2).sum(axis=1).mean())
""", 'ae-pca-test'),
    "test rows centred at their own mean": ('ae-pca', """
def pca_reconstruction_error(X_train, X_test, n_components):
    X_train, X_test = np.asarray(X_train, dtype=float), np.asarray(X_test, dtype=float)
    _, _, vt = np.linalg.svd(X_train - X_train.mean(0), full_matrices=False)
    axes = vt[:n_components]
    centred = X_test - X_test.mean(0)
    residual = centred - centred @ axes.T @ axes
    return float((residual ** 2).sum(axis=1).mean())
""", 'ae-pca-test'),
    "the error summed over the rows": ('ae-pca', """
def pca_reconstruction_error(X_train, X_test, n_components):
    X_train, X_test = np.asarray(X_train, dtype=float), np.asarray(X_test, dtype=float)
    mean = X_train.mean(axis=0)
    _, _, vt = np.linalg.svd(X_train - mean, full_matrices=False)
    axes = vt[:n_components]
    centred = X_test - mean
    return float(((centred - centred @ axes.T @ axes) ** 2).sum())
""", 'ae-pca-test'),
    "the factor 2 of the square forgotten": ('ae-grad', """
def linear_autoencoder_gradients(X, W_enc, W_dec):
    Z = X @ W_enc.T
    E = Z @ W_dec.T - X
    return (E @ W_dec).T @ X / len(X), E.T @ Z / len(X)
""", 'ae-grad-test'),
    "the encoder's gradient transposed": ('ae-grad', """
def linear_autoencoder_gradients(X, W_enc, W_dec):
    Z = X @ W_enc.T
    E = Z @ W_dec.T - X
    return 2 / len(X) * X.T @ (E @ W_dec), 2 / len(X) * E.T @ Z
""", 'ae-grad-test'),
    "the encoder's gradient without the decoder": ('ae-grad', """
def linear_autoencoder_gradients(X, W_enc, W_dec):
    Z = X @ W_enc.T
    E = Z @ W_dec.T - X
    return 2 / len(X) * (E @ W_enc.T).T @ X, 2 / len(X) * E.T @ Z
""", 'ae-grad-test'),
    "a tie counted as a win": ('ae-auc', """
def roc_auc(normal_scores, unusual_scores):
    normal, unusual = np.asarray(normal_scores, dtype=float), np.asarray(unusual_scores, dtype=float)
    return float((unusual[:, None] >= normal[None, :]).mean())
""", 'ae-auc-test'),
    "ties ignored": ('ae-auc', """
def roc_auc(normal_scores, unusual_scores):
    normal, unusual = np.asarray(normal_scores, dtype=float), np.asarray(unusual_scores, dtype=float)
    return float((unusual[:, None] > normal[None, :]).mean())
""", 'ae-auc-test'),
    "the roles of the two sets swapped": ('ae-auc', """
def roc_auc(normal_scores, unusual_scores):
    normal, unusual = np.asarray(normal_scores, dtype=float), np.asarray(unusual_scores, dtype=float)
    return float((normal[:, None] > unusual[None, :]).mean() + 0.5 * (normal[:, None] == unusual[None, :]).mean())
""", 'ae-auc-test'),
}
