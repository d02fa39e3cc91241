"""Spin configurations of the 2D Ising model, sampled with the Metropolis algorithm.

All chains (every temperature, every sample) are updated at once with a checkerboard
sweep: sites of one colour have no neighbours of the same colour, so they can flip in
parallel. Energy E = -J sum_<ij> s_i s_j with J = 1, k_B = 1, periodic boundaries.
"""
import numpy as np

T_CRITICAL = 2.0 / np.log(1.0 + np.sqrt(2.0))  # Onsager's exact value, ~2.269

BLOCK_SITES = 100_000   # sites updated by one round of array operations (see sample_ising)


def _neighbour_sum(spins):
    """The sum of each site's four neighbours, the lattice wrapping around. Left and right
    neighbours: the configurations read row after row, shifted by one site, each row's first
    and last site then taken from its own row (a shift of the whole array by one site is a
    plain copy; a shift within each row of a few sites is many small ones)."""
    n, rows, columns = spins.shape
    flat = spins.reshape(n, rows * columns)
    left = np.roll(flat, 1, axis=1).reshape(spins.shape)
    left[:, :, 0] = spins[:, :, -1]
    right = np.roll(flat, -1, axis=1).reshape(spins.shape)
    right[:, :, -1] = spins[:, :, 0]
    return left + right + np.roll(spins, 1, axis=-2) + np.roll(spins, -1, axis=-2)


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
    # A flip changes the energy by dE = 2 s (sum of the neighbours); Metropolis accepts it with
    # probability min(1, exp(-beta dE)). Only dE = 4 and dE = 8 need a draw: two values a
    # temperature, compared with the draws of its chains.
    accept_4, accept_8 = np.exp(-4.0 / temperatures), np.exp(-8.0 / temperatures)
    # The chains are updated a block of temperatures at a time, about BLOCK_SITES sites, so
    # that a block's random numbers are still in the processor's cache when they are compared
    # (the draws come in the same order as for all chains at once: the same samples).
    per_block = max(1, BLOCK_SITES // (n_samples * size * size))
    blocks = [range(first, min(first + per_block, len(temperatures)))
              for first in range(0, len(temperatures), per_block)]
    chance = np.empty((per_block * n_samples, size, size))
    below_4, below_8 = np.zeros(chance.shape, dtype=bool), np.zeros(chance.shape, dtype=bool)
    for _ in range(n_sweeps):
        for mask in colours:
            for block in blocks:
                s = spins[block[0] * n_samples:(block[-1] + 1) * n_samples]
                local = s * _neighbour_sum(s)                      # dE / 2: -4, -2, 0, 2 or 4
                draw = rng.random(out=chance[:len(s)])
                for k, t in enumerate(block):                       # chance < e^(-4 beta), and
                    rows = slice(k * n_samples, (k + 1) * n_samples)  # < e^(-8 beta): smaller
                    np.less(draw[rows], accept_4[t], out=below_4[rows])
                    np.less(draw[rows], accept_8[t], out=below_8[rows])
                # 0, 1 or 2 of them: a flip is accepted where dE / 2 <= 2 level (dE <= 0: always)
                level = below_4[:len(s)].view(np.int8) + below_8[:len(s)].view(np.int8)
                accept = local <= 2 * level
                s -= 2 * s * (mask & accept)                        # flip: s -> -s
    return spins, T


def magnetization(spins):
    """Mean spin per configuration, in [-1, 1]."""
    return spins.reshape(len(spins), -1).mean(axis=1)


def boltzmann_distribution(size, temperature):
    """The exact distribution of a small periodic lattice: every configuration (spins +-1, one
    per row, 2^(size^2) rows) and its probability exp(-E/T) / Z, each bond counted once.
    Feasible up to 4 x 4 (65,536 states)."""
    n = size * size
    bits = (np.arange(2 ** n)[:, None] >> np.arange(n)) & 1
    spins = (2 * bits - 1).reshape(-1, size, size)
    bonds = (spins * np.roll(spins, 1, axis=1)).sum((1, 2)) + (spins * np.roll(spins, 1, axis=2)).sum((1, 2))
    log_weight = bonds / temperature                     # -E / T with E = -sum of bonds
    p = np.exp(log_weight - log_weight.max())
    return spins.reshape(-1, n), p / p.sum()
