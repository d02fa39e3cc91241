"""Restricted Boltzmann machines with binary units, trained by contrastive divergence.

Visible units v and hidden units h, each 0 or 1, with energy
E(v, h) = -a.v - b.h - h.W v and p(v, h) = exp(-E) / Z. No unit talks to another of its own
layer, so each layer is independent given the other:

    p(h_j = 1 | v) = sigmoid(b_j + W_j . v),      p(v_i = 1 | h) = sigmoid(a_i + W[:, i] . h),

and summing out h leaves the free energy, p(v) = exp(-F(v)) / Z,

    F(v) = -a.v - sum_j softplus(b_j + W_j . v).

The log-likelihood's gradient is a difference of two averages of h v^T: under the data (with
h drawn given each example) and under the model (which would need the chain of alternating
draws run to equilibrium). Contrastive divergence CD-k runs it k steps from the data instead
(Hinton 2002). With a few visible units, as the 16 spins of a 4 x 4 lattice, Z is a sum over
every visible state (2^16 here): the exact likelihood, and how far CD-1 and CD-10 get.
"""
import numpy as np


def sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))           # 1 / (1 + e^-x), without overflow


def softplus(x):
    return np.logaddexp(0.0, x)                      # log(1 + e^x)


class RBM:
    """Binary RBM: ``weight`` (n_hidden, n_visible), ``visible_bias``, ``hidden_bias``."""

    def __init__(self, n_visible, n_hidden, seed=0):
        self.rng = np.random.default_rng(seed)
        self.weight = self.rng.normal(0.0, 0.01, (n_hidden, n_visible))
        self.visible_bias = np.zeros(n_visible)
        self.hidden_bias = np.zeros(n_hidden)

    def hidden_probs(self, v):
        return sigmoid(v @ self.weight.T + self.hidden_bias)

    def visible_probs(self, h):
        return sigmoid(h @ self.weight + self.visible_bias)

    def draw(self, p):
        """Binary units on with probabilities ``p``."""
        return (self.rng.random(p.shape) < p).astype(float)

    def gibbs(self, v, k=1):
        """k steps of alternating draws, v -> h -> v, from visible states ``v``."""
        for _ in range(k):
            v = self.draw(self.visible_probs(self.draw(self.hidden_probs(v))))
        return v

    def free_energy(self, v):
        return -v @ self.visible_bias - softplus(v @ self.weight.T + self.hidden_bias).sum(-1)

    def contrastive_divergence(self, v, k=1, learning_rate=0.05):
        """One CD-k step on a batch of visible states; the mean reconstruction error."""
        h_data = self.hidden_probs(v)
        v_model = self.gibbs(v, k)                       # the negative chain, k steps from the data
        h_model = self.hidden_probs(v_model)
        n = len(v)
        self.weight += learning_rate * (h_data.T @ v - h_model.T @ v_model) / n
        self.visible_bias += learning_rate * (v - v_model).mean(0)
        self.hidden_bias += learning_rate * (h_data - h_model).mean(0)
        return float(((v - v_model) ** 2).mean())


def all_states(n):
    """Every binary vector of length n, one per row (2^n rows)."""
    return ((np.arange(2 ** n)[:, None] >> np.arange(n)) & 1).astype(float)


def log_probs(rbm, states):
    """Exact log p(v) of every row of ``states``, which must be every visible state."""
    minus_f = -rbm.free_energy(states)
    return minus_f - np.logaddexp.reduce(minus_f)


def kl_divergence(p, log_q):
    """KL(p || q) = sum p (log p - log q), over the states where p > 0."""
    keep = p > 0
    return float((p[keep] * (np.log(p[keep]) - log_q[keep])).sum())


def train(rbm, data, k=1, epochs=60, batch_size=50, learning_rate=0.05, record=None, every=1):
    """CD-k over ``epochs`` passes through ``data`` (rows of 0/1) in mini-batches, a fresh
    order each pass; ``record(rbm)`` after every ``every``-th epoch, its values returned as a
    list."""
    recorded = []
    for epoch in range(1, epochs + 1):
        order = rbm.rng.permutation(len(data))
        for start in range(0, len(data), batch_size):
            rbm.contrastive_divergence(data[order[start:start + batch_size]], k, learning_rate)
        if record is not None and epoch % every == 0:
            recorded.append(record(rbm))
    return recorded
