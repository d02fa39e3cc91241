"""Common mistakes in the rbm exercise, each caught by a visible test."""

MISTAKES = {
    "a free energy without the visible bias": ('rbm-free', """
def free_energy(v, weight, visible_bias, hidden_bias):
    v = np.asarray(v, dtype=float)
    return -np.logaddexp(0.0, v @ weight.T + hidden_bias).sum(axis=-1)
""", 'rbm-free-test'),
    "log(1 + x) for log(1 + e^x)": ('rbm-free', """
def free_energy(v, weight, visible_bias, hidden_bias):
    v = np.asarray(v, dtype=float)
    return -v @ visible_bias - np.log1p(np.abs(v @ weight.T + hidden_bias)).sum(axis=-1)
""", 'rbm-free-test'),
    "a free energy that overflows": ('rbm-free', """
def free_energy(v, weight, visible_bias, hidden_bias):
    v = np.asarray(v, dtype=float)
    return -v @ visible_bias - np.log(1 + np.exp(v @ weight.T + hidden_bias)).sum(axis=-1)
""", 'rbm-free-test'),
    "the model term first (descent instead of ascent)": ('rbm-cd', """
def cd_gradients(v_data, v_model, weight, hidden_bias):
    v_data, v_model = np.asarray(v_data, dtype=float), np.asarray(v_model, dtype=float)
    h_data = 1 / (1 + np.exp(-(v_data @ weight.T + hidden_bias)))
    h_model = 1 / (1 + np.exp(-(v_model @ weight.T + hidden_bias)))
    n = len(v_data)
    return ((h_model.T @ v_model - h_data.T @ v_data) / n, (v_model - v_data).mean(0),
            (h_model - h_data).mean(0))
""", 'rbm-cd-test'),
    "gradients summed over the batch, not averaged": ('rbm-cd', """
def cd_gradients(v_data, v_model, weight, hidden_bias):
    v_data, v_model = np.asarray(v_data, dtype=float), np.asarray(v_model, dtype=float)
    h_data = 1 / (1 + np.exp(-(v_data @ weight.T + hidden_bias)))
    h_model = 1 / (1 + np.exp(-(v_model @ weight.T + hidden_bias)))
    return (h_data.T @ v_data - h_model.T @ v_model, (v_data - v_model).sum(0),
            (h_data - h_model).sum(0))
""", 'rbm-cd-test'),
    "the weight gradient transposed": ('rbm-cd', """
def cd_gradients(v_data, v_model, weight, hidden_bias):
    v_data, v_model = np.asarray(v_data, dtype=float), np.asarray(v_model, dtype=float)
    h_data = 1 / (1 + np.exp(-(v_data @ weight.T + hidden_bias)))
    h_model = 1 / (1 + np.exp(-(v_model @ weight.T + hidden_bias)))
    n = len(v_data)
    return ((v_data.T @ h_data - v_model.T @ h_model) / n, (v_data - v_model).mean(0),
            (h_data - h_model).mean(0))
""", 'rbm-cd-test'),
    "a log-likelihood without log Z": ('rbm-loglik', """
def log_likelihood(v, weight, visible_bias, hidden_bias):
    return float(np.mean(-free_energy(v, weight, visible_bias, hidden_bias)))
""", 'rbm-loglik-test'),
    "Z summed over the examples instead of every state": ('rbm-loglik', """
def log_likelihood(v, weight, visible_bias, hidden_bias):
    minus_f = -free_energy(v, weight, visible_bias, hidden_bias)
    return float(np.mean(minus_f - np.logaddexp.reduce(minus_f)))
""", 'rbm-loglik-test'),
}
