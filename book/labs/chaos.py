"""Chaos and exploding gradients (Mikhaeil, Monfared & Durstewitz 2022).

A recurrent model h_{t+1} = F(h_t) whose dynamics are chaotic separates nearby states at the
rate of its largest Lyapunov exponent lambda_max, and the gradient of a loss over T steps holds
the product of T Jacobians dF: it grows like exp(lambda_max T). Sparsely forced BPTT resets the
state to the data every tau steps; no gradient crosses a reset, so the products are at most
tau Jacobians long, and tau is chosen near the predictability time 1/lambda_max.

Two models: a random tanh RNN h_{t+1} = tanh(g W h_t), chaotic for gains g above about 1, and
the Lorenz-63 system stepped by RK4, whose parameters (sigma, rho, beta) a model must learn.
"""
import numpy as np
import torch

LORENZ = (10.0, 28.0, 8.0 / 3.0)        # sigma, rho, beta: the chaotic attractor


# --- the random tanh RNN -------------------------------------------------------------------

def tanh_rnn(n_units=100, n_starts=4, seed=0):
    """Random couplings W with entries N(0, 1/N) and ``n_starts`` starting states (rows)."""
    rng = np.random.default_rng(seed)
    return rng.normal(0, n_units ** -0.5, (n_units, n_units)), rng.normal(0, 1, (n_starts, n_units))


def _settle(W, h, gains, steps):
    h = np.tile(h, (len(gains), 1))
    for _ in range(steps):
        h = np.tanh(gains[:, None] * h @ W.T)
    return h


def lyapunov_exponents(W, h, gains, steps=2000, burn_in=500, seed=1):
    """Largest Lyapunov exponent of h -> tanh(g W h) for each gain (Benettin's method: a tangent
    vector carried along the orbit, renormalized each step; the mean log of its growth)."""
    gains = np.asarray(gains, dtype=float)
    h = _settle(W, h, gains, burn_in)
    v = np.random.default_rng(seed).normal(size=h.shape)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    total = np.zeros(len(gains))
    for _ in range(steps):
        h = np.tanh(gains[:, None] * h @ W.T)
        v = (1 - h ** 2) * (gains[:, None] * v @ W.T)       # the Jacobian applied to v
        growth = np.linalg.norm(v, axis=1)
        total += np.log(growth)
        v /= growth[:, None]
    return total / steps


def jacobian_product_norms(W, h, gains, length=100, burn_in=500):
    """||dh_T/dh_0||_2 for T = 1..length along an orbit on the attractor, per gain: (length, K)."""
    gains = np.asarray(gains, dtype=float)
    h = _settle(W, h, gains, burn_in)
    product = np.tile(np.eye(len(W)), (len(gains), 1, 1))
    norms = []
    for _ in range(length):
        h = np.tanh(gains[:, None] * h @ W.T)
        product = ((1 - h ** 2)[:, :, None] * gains[:, None, None] * W) @ product
        norms.append(np.linalg.norm(product, 2, axis=(1, 2)))
    return np.array(norms)


# --- Lorenz-63 -----------------------------------------------------------------------------

def lorenz_field(state, parameters):
    x, y, z = state.unbind(-1)
    sigma, rho, beta = parameters.unbind(-1)
    return torch.stack([sigma * (y - x), x * (rho - z) - y, x * y - beta * z], dim=-1)


def lorenz_step(state, parameters, dt=0.04):
    """One RK4 step of the Lorenz equations; parameters (..., 3) broadcast against state (..., 3)."""
    k1 = lorenz_field(state, parameters)
    k2 = lorenz_field(state + dt / 2 * k1, parameters)
    k3 = lorenz_field(state + dt / 2 * k2, parameters)
    k4 = lorenz_field(state + dt * k3, parameters)
    return state + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)


def lorenz_trajectory(n_steps, dt=0.04, burn_in=250):
    """A trajectory on the Lorenz attractor, (n_steps, 3) float64, after a transient."""
    state, parameters = torch.ones(3, dtype=torch.float64), torch.tensor(LORENZ, dtype=torch.float64)
    states = []
    for step in range(burn_in + n_steps):
        state = lorenz_step(state, parameters, dt)
        if step >= burn_in:
            states.append(state)
    return torch.stack(states)


def lorenz_lyapunov(n_steps=2000, dt=0.04, separation=1e-8):
    """The largest Lyapunov exponent of the Lorenz system, per time unit: a second trajectory
    started ``separation`` away, its distance measured and reset to ``separation`` every step
    (the mean log growth; the two-trajectory form of Benettin's method)."""
    parameters = torch.tensor(LORENZ, dtype=torch.float64)
    state = lorenz_trajectory(1, dt)[0]
    pair = torch.stack([state, state + separation / 3 ** 0.5])
    total = 0.0
    for _ in range(n_steps):
        pair = lorenz_step(pair, parameters, dt)
        distance = (pair[1] - pair[0]).norm()
        total += torch.log(distance / separation).item()
        pair[1] = pair[0] + (pair[1] - pair[0]) * (separation / distance)
    return total / (n_steps * dt)


def forecast_errors(parameters, windows, forcing=None, dt=0.04):
    """Mean squared error of a model run from each window's first state over the window
    (windows: (T + 1, B, 3)), the state reset to the data every ``forcing`` steps (sparsely
    forced BPTT) or never (plain BPTT). The parameters broadcast against a window's states
    (B, 3): (3,) one model on every window, (B, 3) a copy per window (each with its own
    gradient), (K, 1, 3) K models on every window. Returns one error per run: (B,) or (K, B)."""
    state = torch.broadcast_tensors(windows[0], parameters)[0]
    errors = []
    for t in range(1, len(windows)):
        state = lorenz_step(state, parameters, dt)
        errors.append(((state - windows[t]) ** 2).mean(dim=-1))
        if forcing and t % forcing == 0:
            state = torch.broadcast_tensors(windows[t], state)[0]
    return torch.stack(errors).mean(dim=0)


def windows(trajectory, starts, length):
    """Windows of length + 1 states from the given starts: (length + 1, B, 3)."""
    return torch.stack([trajectory[s:s + length + 1] for s in starts], dim=1)
