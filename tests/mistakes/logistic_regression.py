"""Common mistakes in the logistic_regression exercise, each caught by a visible test."""

MISTAKES = {
    'a softmax without subtracting the maximum (overflows)': ('logreg-softmax', """
def softmax(Z):
    E = np.exp(np.asarray(Z, dtype=float))
    return E / E.sum(axis=1, keepdims=True)
""", 'logreg-softmax-test'),
    'a softmax normalized over the column (axis 0)': ('logreg-softmax', """
def softmax(Z):
    Z = np.asarray(Z, dtype=float)
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=0, keepdims=True)
""", 'logreg-softmax-test'),
    'a softmax shifted by the maximum of the whole matrix': ('logreg-softmax', """
def softmax(Z):
    Z = np.asarray(Z, dtype=float)
    E = np.exp(Z - Z.max())
    return E / E.sum(axis=1, keepdims=True)
""", 'logreg-softmax-test'),
    'row maxima subtracted without keepdims (broadcast along the wrong axis)': ('logreg-softmax', """
def softmax(Z):
    Z = np.asarray(Z, dtype=float)
    E = np.exp(Z - Z.max(axis=1))
    return E / E.sum(axis=1, keepdims=True)
""", 'logreg-softmax-test'),
    'a cross-entropy summed over the samples, not averaged': ('logreg-ce', """
def cross_entropy(Z, y):
    Z = np.asarray(Z, dtype=float)
    shifted = Z - Z.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return float(-log_p[np.arange(len(Z)), np.asarray(y)].sum())
""", 'logreg-ce-test'),
    'the label probabilities picked with log_p[:, y] (every row, every label)': ('logreg-ce', """
def cross_entropy(Z, y):
    Z = np.asarray(Z, dtype=float)
    shifted = Z - Z.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return float(-log_p[:, np.asarray(y)].mean())
""", 'logreg-ce-test'),
    'a cross-entropy without the minus sign': ('logreg-ce', """
def cross_entropy(Z, y):
    Z = np.asarray(Z, dtype=float)
    shifted = Z - Z.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return float(log_p[np.arange(len(Z)), np.asarray(y)].mean())
""", 'logreg-ce-test'),
    'a gradient not divided by n': ('logreg-grad', """
def cross_entropy_grad(Z, y):
    P = softmax(Z)
    P[np.arange(len(P)), np.asarray(y)] -= 1.0
    return P
""", 'logreg-grad-test'),
    'a gradient of onehot minus softmax (wrong sign)': ('logreg-grad', """
def cross_entropy_grad(Z, y):
    P = softmax(Z)
    onehot = np.zeros_like(P)
    onehot[np.arange(len(P)), np.asarray(y)] = 1.0
    return (onehot - P) / len(P)
""", 'logreg-grad-test'),
    'the one-hot subtracted with P[:, y]': ('logreg-grad', """
def cross_entropy_grad(Z, y):
    P = softmax(Z)
    P[:, np.asarray(y)] -= 1.0
    return P / len(P)
""", 'logreg-grad-test'),
}
