"""A random gated recurrent network, simulated (Krishnamurthy, Can & Schwab 2022).

Continuous time, N units, state h, activity phi(h) = tanh(h), and two gates computed from the
activity through their own random couplings:

    dh/dt = sigma_z(z) * (-h + J (sigma_r(r) * phi(h))),   z = J_z phi(h),   r = J_r phi(h),
    sigma_a(x) = 1 / (1 + exp(-alpha_a x)),

J with entries N(0, g^2/N), J_z and J_r N(0, 1/N). The update gate sigma_z scales each unit's
speed: where it is near 0 the unit stops and holds its value. The output gate sigma_r scales what
each unit sends to the others. Their gains alpha_z and alpha_r set how sharply they switch.
Many networks (one per pair of gains) share one draw of the couplings and run side by side.
"""
import numpy as np


def simulate(alpha_z, alpha_r, n_units=200, gain=3.0, duration=400.0, dt=0.2, burn_in=100.0, seed=0):
    """Euler steps of the gated network for each pair of gains; returns the activity phi(h)
    after the burn-in, sampled every step, (steps, K, n_units) float32, and the share of units
    whose update gate is below 0.05 (nearly stopped) at each of those steps, (steps, K)."""
    rng = np.random.default_rng(seed)
    couplings = rng.normal(0, n_units ** -0.5, (3, n_units, n_units)).astype(np.float32)
    J, J_gates = gain * couplings[0], couplings[1:].reshape(2 * n_units, n_units)
    alpha = np.stack([np.ravel(alpha_z), np.ravel(alpha_r)]).astype(np.float32)   # (2, K)
    h = np.tile(rng.normal(0, 1, n_units).astype(np.float32), (alpha.shape[1], 1))
    activity, stopped = [], []
    for step in range(int(round(duration / dt))):
        phi = np.tanh(h)
        z, r = np.split(phi @ J_gates.T, 2, axis=-1)
        update = 0.5 + 0.5 * np.tanh(0.5 * alpha[0][:, None] * z)      # sigmoid(alpha_z z)
        output = 0.5 + 0.5 * np.tanh(0.5 * alpha[1][:, None] * r)
        h = h + dt * update * (-h + (output * phi) @ J.T)
        if step * dt >= burn_in:
            activity.append(phi)
            stopped.append((update < 0.05).mean(axis=-1))
    return np.array(activity), np.array(stopped)


def autocorrelation(activity):
    """The population's autocorrelation C(lag) / C(0), each unit's mean removed: (steps, K)."""
    x = activity - activity.mean(axis=0)
    steps = len(x)
    spectrum = np.fft.rfft(x, n=2 * steps, axis=0)
    c = np.fft.irfft(spectrum * np.conj(spectrum), n=2 * steps, axis=0)[:steps].sum(axis=-1)
    return c / c[0]


def autocorrelation_time(activity, dt):
    """The first lag at which the autocorrelation falls below 1/e (the recording's length if it
    never does): (K,)."""
    below = autocorrelation(activity) < np.exp(-1)
    return np.where(below.any(axis=0), below.argmax(axis=0), len(below)) * dt


def participation_ratio(activity):
    """(sum of the covariance's eigenvalues)^2 / (sum of their squares): how many dimensions the
    activity fills, from 1 (a line) to the number of units: (K,)."""
    ratios = []
    for k in range(activity.shape[1]):
        eigenvalues = np.linalg.eigvalsh(np.cov(activity[:, k].T.astype(float)))
        ratios.append(eigenvalues.sum() ** 2 / (eigenvalues ** 2).sum())
    return np.array(ratios)
