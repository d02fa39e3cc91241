"""Common mistakes in the linear_regression exercise, each caught by a visible test."""

MISTAKES = {
    'a gradient step without the division by n': ('linreg-gd', """
def gradient_descent(X, y, learning_rate, n_steps):
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    w = np.zeros(X.shape[1])
    for _ in range(n_steps):
        w = w - learning_rate * X.T @ (X @ w - y)
    return w
""", 'linreg-gd-test'),
    'a step up the gradient (wrong sign)': ('linreg-gd', """
def gradient_descent(X, y, learning_rate, n_steps):
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    w = np.zeros(X.shape[1])
    for _ in range(n_steps):
        w = w - learning_rate * X.T @ (y - X @ w) / len(y)
    return w
""", 'linreg-gd-test'),
    'the gradient of the mean squared error with a factor 2': ('linreg-gd', """
def gradient_descent(X, y, learning_rate, n_steps):
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    w = np.zeros(X.shape[1])
    for _ in range(n_steps):
        w = w - learning_rate * 2 * X.T @ (X @ w - y) / len(y)
    return w
""", 'linreg-gd-test'),
    'a return inside the loop: only the first step is taken': ('linreg-gd', """
def gradient_descent(X, y, learning_rate, n_steps):
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    w = np.zeros(X.shape[1])
    for _ in range(n_steps):
        w = w - learning_rate * X.T @ (X @ w - y) / len(y)
        return w
""", 'linreg-gd-test'),
    'ridge that leaves the first (intercept) weight unpenalized': ('linreg-ridge', """
def ridge(X, y, alpha):
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    penalty = alpha * np.eye(X.shape[1])
    penalty[0, 0] = 0.0
    return np.linalg.solve(X.T @ X + penalty, X.T @ y)
""", 'linreg-ridge-test'),
    'alpha added to every entry of X^T X instead of its diagonal': ('linreg-ridge', """
def ridge(X, y, alpha):
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    return np.linalg.solve(X.T @ X + alpha, X.T @ y)
""", 'linreg-ridge-test'),
    'ridge with the penalty scaled by the number of samples': ('linreg-ridge', """
def ridge(X, y, alpha):
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    return np.linalg.solve(X.T @ X + alpha * len(y) * np.eye(X.shape[1]), X.T @ y)
""", 'linreg-ridge-test'),
}
