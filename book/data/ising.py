"""Spin configurations of the 2D Ising model, sampled with the Metropolis algorithm.

All chains (every temperature, every sample) are updated at once with a checkerboard
sweep: sites of one colour have no neighbours of the same colour, so they can flip in
parallel. Energy E = -J sum_<ij> s_i s_j with J = 1, k_B = 1, periodic boundaries.
"""
import numpy as np

T_CRITICAL = 2.0 / np.log(1.0 + np.sqrt(2.0))  # Onsager's exact value, ~2.269


def _neighbour_sum(spins):
    return (np.roll(spins, 1, axis=-1) + np.roll(spins, -1, axis=-1)
            + np.roll(spins, 1, axis=-2) + np.roll(spins, -1, axis=-2))


def sample_ising(temperatures, n_samples=50, size=16, n_sweeps=300, seed=0):
    """Equilibrated configurations, ``n_samples`` per temperature.

    Returns ``(spins, T)``: spins of shape ``(len(temperatures) * n_samples, size, size)``
    with values +-1, and the temperature of each configuration. Half of the chains start
    all up and half all down, so both ordered phases appear below T_c.
    """
    rng = np.random.default_rng(seed)
    temperatures = np.asarray(temperatures, dtype=float)
    T = np.repeat(temperatures, n_samples)
    start = np.where(np.arange(T.size) % 2 == 0, 1, -1).astype(np.int8)
    spins = np.broadcast_to(start[:, None, None], (T.size, size, size)).copy()
    i, j = np.indices((size, size))
    colours = [(i + j) % 2 == c for c in (0, 1)]
    beta = (1.0 / T)[:, None, None]
    # A flip changes the energy by dE = 2 s (sum of the neighbours); Metropolis accepts it with
    # probability min(1, exp(-beta dE)). Only dE = 4 and dE = 8 need a draw: two values a chain.
    accept_4, accept_8 = np.exp(-beta * 4.0), np.exp(-beta * 8.0)
    for _ in range(n_sweeps):
        for mask in colours:
            local = spins * _neighbour_sum(spins)                   # dE / 2: -4, -2, 0, 2 or 4
            chance = rng.random(spins.shape)
            accept = (local <= 0) | ((local == 2) & (chance < accept_4)) \
                | ((local == 4) & (chance < accept_8))
            spins -= 2 * spins * (mask & accept)                     # flip: s -> -s
    return spins, T


def magnetization(spins):
    """Mean spin per configuration, in [-1, 1]."""
    return spins.reshape(len(spins), -1).mean(axis=1)
