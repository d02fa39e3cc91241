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
MISTAKES.update({
    'tiles computed without clipping the state into the box': ('tc-tiles', """
def active_tiles(state, low, high, n_tilings, tiles_per_dim):
    state, low, high = (np.asarray(a, dtype=float) for a in (state, low, high))
    scaled = (state - low) / (high - low) * tiles_per_dim
    n_dims = len(state)
    offsets = (np.arange(n_tilings)[:, None] * (2 * np.arange(n_dims) + 1) / n_tilings) % 1.0
    coordinates = np.floor(scaled + offsets).astype(np.int64)
    per_tiling = (tiles_per_dim + 1) ** n_dims
    return np.arange(n_tilings) * per_tiling + coordinates @ ((tiles_per_dim + 1) ** np.arange(n_dims))
""", 'tc-tiles-test'),
    'tilings shifted by the same fraction in every dimension': ('tc-tiles', """
def active_tiles(state, low, high, n_tilings, tiles_per_dim):
    state, low, high = (np.asarray(a, dtype=float) for a in (state, low, high))
    scaled = np.clip((state - low) / (high - low) * tiles_per_dim, 0.0, tiles_per_dim)
    n_dims = len(state)
    offsets = np.repeat(np.arange(n_tilings)[:, None] / n_tilings, n_dims, axis=1)
    coordinates = np.floor(scaled + offsets).astype(np.int64)
    per_tiling = (tiles_per_dim + 1) ** n_dims
    return np.arange(n_tilings) * per_tiling + coordinates @ ((tiles_per_dim + 1) ** np.arange(n_dims))
""", 'tc-tiles-test'),
    'tile coordinates numbered with the first dimension as the slowest': ('tc-tiles', """
def active_tiles(state, low, high, n_tilings, tiles_per_dim):
    state, low, high = (np.asarray(a, dtype=float) for a in (state, low, high))
    scaled = np.clip((state - low) / (high - low) * tiles_per_dim, 0.0, tiles_per_dim)
    n_dims = len(state)
    offsets = (np.arange(n_tilings)[:, None] * (2 * np.arange(n_dims) + 1) / n_tilings) % 1.0
    coordinates = np.floor(scaled + offsets).astype(np.int64)
    per_tiling = (tiles_per_dim + 1) ** n_dims
    return np.arange(n_tilings) * per_tiling + coordinates @ ((tiles_per_dim + 1) ** np.arange(n_dims))[::-1]
""", 'tc-tiles-test'),
    'tile indices left as floats': ('tc-tiles', """
def active_tiles(state, low, high, n_tilings, tiles_per_dim):
    state, low, high = (np.asarray(a, dtype=float) for a in (state, low, high))
    scaled = np.clip((state - low) / (high - low) * tiles_per_dim, 0.0, tiles_per_dim)
    n_dims = len(state)
    offsets = (np.arange(n_tilings)[:, None] * (2 * np.arange(n_dims) + 1) / n_tilings) % 1.0
    coordinates = np.floor(scaled + offsets)
    per_tiling = (tiles_per_dim + 1) ** n_dims
    return np.arange(n_tilings) * per_tiling + coordinates @ ((tiles_per_dim + 1) ** np.arange(n_dims))
""", 'tc-tiles-test'),
    'a SARSA update of every weight of the action': ('tc-update', """
def sarsa_update(weight, active, action, reward, next_active, next_action, terminated,
                 step_size, gamma):
    target = reward
    if not terminated:
        target += gamma * weight[next_action, next_active].sum()
    delta = target - weight[action, active].sum()
    weight[action] += step_size * delta
    return float(delta)
""", 'tc-update-test'),
    'a SARSA error of the wrong sign': ('tc-update', """
def sarsa_update(weight, active, action, reward, next_active, next_action, terminated,
                 step_size, gamma):
    target = reward
    if not terminated:
        target += gamma * weight[next_action, next_active].sum()
    delta = weight[action, active].sum() - target
    weight[action, active] += step_size * delta
    return float(delta)
""", 'tc-update-test'),
    'a SARSA update bootstrapping from the action just taken': ('tc-update', """
def sarsa_update(weight, active, action, reward, next_active, next_action, terminated,
                 step_size, gamma):
    target = reward
    if not terminated:
        target += gamma * weight[action, next_active].sum()
    delta = target - weight[action, active].sum()
    weight[action, active] += step_size * delta
    return float(delta)
""", 'tc-update-test'),
})
