"""Common mistakes in the tile_coding exercise, each caught by a visible test."""

MISTAKES = {
    'tilings shifted without wrapping the offsets': ('tc-tiles', """
def active_tiles(state, low, high, n_tilings, tiles_per_dim):
    state, low, high = (np.asarray(a, dtype=float) for a in (state, low, high))
    scaled = np.clip((state - low) / (high - low) * tiles_per_dim, 0.0, tiles_per_dim)
    offsets = np.arange(n_tilings)[:, None] * (2 * np.arange(len(state)) + 1) / n_tilings
    coordinates = np.minimum(np.floor(scaled + offsets).astype(int), tiles_per_dim)
    strides = (tiles_per_dim + 1) ** np.arange(len(state))
    return np.arange(n_tilings) * (tiles_per_dim + 1) ** len(state) + coordinates @ strides
""", 'tc-tiles-test'),
    'bootstrapping from the state that ended the episode': ('tc-update', """
def sarsa_update(weight, active, action, reward, next_active, next_action, terminated,
                 step_size, gamma):
    delta = reward + gamma * weight[next_action, next_active].sum() - weight[action, active].sum()
    weight[action, active] += step_size * delta
    return delta
""", 'tc-update-test'),
}
