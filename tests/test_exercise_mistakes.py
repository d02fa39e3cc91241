"""Exercises teach through their visible tests and keep their "from scratch" promises.

Each common mistake below passed the visible tests once and failed only the hidden ones; now
the visible test the student runs catches it. Each answer built on what the statement forbids
(np.cov, scikit-learn, autograd, a library convolution taken under another name) passes the
visible tests and fails the hidden ones. The notebooks' own cells run in this process, the
solution cells replaced by the answer tried.
"""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from notebook_cells import run_cells


MISTAKES = {
    "projecting uncentred data": ("pca", "pca-project", """
def project(X, components):
    return np.asarray(X, dtype=float) @ np.asarray(components).T

def explained_variance_ratio(X, n_components):
    return principal_components(X, n_components)[1] / np.trace(covariance(X))
""", "pca-project-test"),
    "explained variance over the kept components only": ("pca", "pca-project", """
def project(X, components):
    X = np.asarray(X, dtype=float)
    return (X - X.mean(axis=0)) @ np.asarray(components).T

def explained_variance_ratio(X, n_components):
    variances = principal_components(X, n_components)[1]
    return variances / variances.sum()
""", "pca-project-test"),
    "an untransposed W_hh and no bias": ("rnn_gradients", "rnngrad-unroll", """
def unroll(x, weight_ih, weight_hh, bias):
    h = torch.zeros(x.shape[1], weight_hh.shape[0], dtype=x.dtype, requires_grad=True)
    states = []
    for x_t in x:
        h = torch.tanh(x_t @ weight_ih.T + h @ weight_hh)
        states.append(h)
    return states
""", "rnngrad-unroll-test"),
    "the GRU's reset gate before the recurrent product": ("gru_cell", "gru-cell", """
def gru_cell(x, h, weight_ih, weight_hh, bias_ih, bias_hh):
    r, z = gru_gates(x, h, weight_ih, weight_hh, bias_ih, bias_hh)
    size = h.shape[1]
    n = torch.tanh(x @ weight_ih[2 * size:].T + bias_ih[2 * size:]
                   + (r * h) @ weight_hh[2 * size:].T + bias_hh[2 * size:])
    return (1 - z) * n + z * h
""", "gru-cell-test"),
    "a GRU that computes in float32 only": ("gru_cell", "gru-cell", """
def gru_cell(x, h, weight_ih, weight_hh, bias_ih, bias_hh):
    x, h, weight_ih, weight_hh, bias_ih, bias_hh = (t.float() for t in (x, h, weight_ih, weight_hh, bias_ih, bias_hh))
    r, z = gru_gates(x, h, weight_ih, weight_hh, bias_ih, bias_hh)
    size = h.shape[1]
    n = torch.tanh(x @ weight_ih[2 * size:].T + bias_ih[2 * size:]
                   + r * (h @ weight_hh[2 * size:].T + bias_hh[2 * size:]))
    return (1 - z) * n + z * h
""", "gru-cell-test"),
    "tilings shifted without wrapping the offsets": ("tile_coding", "tc-tiles", """
def active_tiles(state, low, high, n_tilings, tiles_per_dim):
    state, low, high = (np.asarray(a, dtype=float) for a in (state, low, high))
    scaled = np.clip((state - low) / (high - low) * tiles_per_dim, 0.0, tiles_per_dim)
    offsets = np.arange(n_tilings)[:, None] * (2 * np.arange(len(state)) + 1) / n_tilings
    coordinates = np.minimum(np.floor(scaled + offsets).astype(int), tiles_per_dim)
    strides = (tiles_per_dim + 1) ** np.arange(len(state))
    return np.arange(n_tilings) * (tiles_per_dim + 1) ** len(state) + coordinates @ strides
""", "tc-tiles-test"),
    "bootstrapping from the state that ended the episode": ("tile_coding", "tc-update", """
def sarsa_update(weight, active, action, reward, next_active, next_action, terminated,
                 step_size, gamma):
    delta = reward + gamma * weight[next_action, next_active].sum() - weight[action, active].sum()
    weight[action, active] += step_size * delta
    return delta
""", "tc-update-test"),
    "a DQN target that bootstraps past the end of the episode": ("dqn", "dqn-targets", """
def td_targets(rewards, next_q, terminated, gamma):
    return rewards + gamma * next_q.max(dim=1).values
""", "dqn-targets-test"),
    "a DQN loss whose gradient also trains the target network": ("dqn", "dqn-loss", """
def dqn_loss(q_network, target_network, states, actions, rewards, next_states, terminated, gamma):
    targets = td_targets(rewards, target_network(next_states), terminated, gamma)
    q = q_network(states).gather(1, actions[:, None]).squeeze(1)
    return torch.nn.functional.smooth_l1_loss(q, targets)
""", "dqn-loss-test"),
    "a DQN loss that is the squared error": ("dqn", "dqn-loss", """
def dqn_loss(q_network, target_network, states, actions, rewards, next_states, terminated, gamma):
    with torch.no_grad():
        targets = td_targets(rewards, target_network(next_states), terminated, gamma)
    q = q_network(states).gather(1, actions[:, None]).squeeze(1)
    return ((targets - q) ** 2).mean() / 2
""", "dqn-loss-test"),
    "a replay buffer that stops storing once full": ("dqn", "dqn-buffer", """
class ReplayBuffer:
    def __init__(self, capacity):
        self.capacity, self.transitions = capacity, []

    def push(self, state, action, reward, next_state, terminated):
        if len(self.transitions) < self.capacity:
            self.transitions.append((np.asarray(state, dtype=np.float32), int(action), float(reward),
                                     np.asarray(next_state, dtype=np.float32), float(terminated)))

    def __len__(self):
        return len(self.transitions)

    def sample(self, batch_size, rng):
        picked = [self.transitions[i] for i in rng.integers(len(self.transitions), size=batch_size)]
        states, actions, rewards, next_states, terminated = zip(*picked)
        return (torch.tensor(np.stack(states)), torch.tensor(actions, dtype=torch.long),
                torch.tensor(rewards, dtype=torch.float32), torch.tensor(np.stack(next_states)),
                torch.tensor(terminated, dtype=torch.float32))
""", "dqn-buffer-test"),
    "a backward pass that returns zeros": ("backprop", "bp-backward", """
def backward(x, y, W1, b1, W2, b2):
    return [torch.zeros_like(W1), torch.zeros_like(b1), torch.zeros_like(W2), torch.zeros_like(b2)]
""", "bp-backward-test"),
}


@pytest.mark.parametrize("mistake", MISTAKES)
def test_the_visible_test_catches_a_common_mistake(mistake):
    assignment, cell, answer, test = MISTAKES[mistake]
    assert run_cells(assignment, {}, test, hidden=False) is None, "the solution passes"
    error = run_cells(assignment, {cell: answer}, test, hidden=False)
    assert isinstance(error, AssertionError), error


FORBIDDEN = {
    "a covariance from np.cov": ("pca", "pca-covariance", """
def covariance(X):
    return np.cov(np.asarray(X, dtype=float), rowvar=False)
""", "pca-covariance-test", "numpy.cov()"),
    "principal components from scikit-learn": ("pca", "pca-components", """
def principal_components(X, n_components):
    from sklearn.decomposition import PCA
    pca = PCA(n_components=n_components, svd_solver="full").fit(X)
    return pca.components_, pca.explained_variance_
""", "pca-components-test", "sklearn.check_array()"),
    "principal components from scikit-learn, imported up front": ("pca", "pca-components", """
from sklearn.decomposition import PCA

def principal_components(X, n_components):
    pca = PCA(n_components=n_components, svd_solver="full").fit(X)
    return pca.components_, pca.explained_variance_
""", "pca-components-test", "sklearn.check_array()"),
    "gradients from autograd": ("backprop", "bp-backward", """
def backward(x, y, W1, b1, W2, b2):
    leaves = [p.detach().clone().requires_grad_() for p in (W1, b1, W2, b2)]
    z1, a1, z2 = forward(x, *leaves)
    torch.nn.functional.cross_entropy(z2, y).backward()
    return [p.grad for p in leaves]
""", "bp-backward-test", "autograd"),
    "a library convolution under another name": ("conv2d", "conv-conv2d", """
from torch.nn.functional import conv2d as library_convolution

def conv2d(x, weight, bias=None, stride=1, padding=0):
    return library_convolution(x, weight, bias, stride, padding)
""", "conv-conv2d-test", "convolution"),
    "a library pooling as a module": ("conv2d", "conv-pool", """
def max_pool2d(x, kernel_size, stride=None):
    return torch.nn.MaxPool2d(kernel_size, stride)(x)
""", "conv-pool-test", "max_pool2d"),
}


def fresh(assignment, answers, test, hidden):
    """``run_cells`` in a new interpreter, as the grader's fresh kernel: what the error said
    (None: the test passed)."""
    code = ("import json, sys; sys.path.insert(0, sys.argv[1]); from notebook_cells import run_cells; "
            "error = run_cells(*json.loads(sys.argv[2])); print(json.dumps(None if error is None else "
            "f'{type(error).__name__}: {error}'))")
    out = subprocess.run([sys.executable, "-c", code, str(Path(__file__).parent),
                          json.dumps([assignment, answers, test, hidden])],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


@pytest.mark.parametrize("shortcut", FORBIDDEN)
def test_the_hidden_tests_refuse_what_the_statement_forbids(shortcut):
    """The shortcut passes the visible test (run here) and fails the hidden one (in a fresh
    interpreter). That the solution passes the hidden tests, the grading session shows
    (test_grading: every solution gets full marks)."""
    assignment, cell, answer, test, word = FORBIDDEN[shortcut]
    assert run_cells(assignment, {cell: answer}, test, hidden=False) is None, "the shortcut is right"
    error = fresh(assignment, {cell: answer}, test, True)
    assert error is not None and word in error, error
