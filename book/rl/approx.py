"""Linear action values on tile-coded features, learned by semi-gradient SARSA.

The page ``chapters/rl/approximation`` derives the update: with binary features x(s) and
q(s, a) = w_a · x(s), the semi-gradient of the squared TD error moves only the weights of the
tiles that are active, each by alpha * delta (eq. ``semi-gradient-sarsa``). Sutton and Barto's
mountain car (Example 10.1, Figures 10.1 and 10.2) is the test: 8 tilings of 8 x 8 tiles,
no exploration beyond the optimism of zero initial values.
"""
from dataclasses import dataclass

import numpy as np


class TileCoder:
    """``n_tilings`` grids of ``tiles_per_dim`` tiles per dimension over the box [low, high].

    Each grid is shifted by a fraction of a tile, tiling i by i/n_tilings of a tile times the
    displacement (1, 3, 5, ...) (Sutton and Barto, section 9.5.4: odd, different displacements
    per dimension avoid diagonal artefacts). A grid needs ``tiles_per_dim + 1`` tiles per
    dimension to cover the box after its shift. A state activates exactly one tile per tiling.
    """

    def __init__(self, low, high, n_tilings=8, tiles_per_dim=8):
        self.low, self.high = np.asarray(low, dtype=float), np.asarray(high, dtype=float)
        self.n_tilings, self.tiles_per_dim = n_tilings, tiles_per_dim
        n_dims = len(self.low)
        displacement = 2 * np.arange(n_dims) + 1                      # 1, 3, 5, ...
        self.offsets = (np.arange(n_tilings)[:, None] * displacement / n_tilings) % 1.0
        self.tiles_per_tiling = (tiles_per_dim + 1) ** n_dims
        self.n_features = n_tilings * self.tiles_per_tiling
        self._strides = (tiles_per_dim + 1) ** np.arange(n_dims)     # ravel a tile's coordinates
        self._scale = tiles_per_dim / (self.high - self.low)

    def active(self, state):
        """Indices of the ``n_tilings`` active tiles (one per tiling) of a state, or of each row
        of a batch of states (shape ``(..., n_tilings)``)."""
        scaled = (np.asarray(state, dtype=float) - self.low) * self._scale
        scaled = np.clip(scaled, 0.0, self.tiles_per_dim)[..., None, :]      # (..., 1, n_dims)
        coordinates = np.floor(scaled + self.offsets).astype(np.int64)       # (..., tilings, dims)
        return np.arange(self.n_tilings) * self.tiles_per_tiling + coordinates @ self._strides

    def features(self, state):
        """The binary feature vector x(s) (mostly zeros): for reading, not for speed."""
        x = np.zeros(self.n_features)
        x[self.active(state)] = 1.0
        return x


class SarsaAgent:
    """Semi-gradient SARSA with a linear q(s, a) = sum of the weights of the active tiles.

    The agent sees a state through its active tiles (``TileCoder.active``), computed once per
    step by the loop. ``step_size`` is the alpha of one tiling's weight; Sutton and Barto quote
    alpha / n_tilings (e.g. 0.5 / 8), the step of the whole estimate.
    """

    def __init__(self, n_features, n_actions, step_size=0.5 / 8, epsilon=0.0, gamma=1.0, seed=0):
        self.n_actions, self.step_size, self.epsilon, self.gamma = n_actions, step_size, epsilon, gamma
        self.weight = np.zeros((n_actions, n_features))    # zero: optimistic for rewards of -1
        self.rng = np.random.default_rng(seed)

    def q(self, active):
        """The action values of the state whose active tiles are ``active``."""
        return self.weight[:, active].sum(axis=1)

    def act(self, active):
        """Epsilon-greedy on q, ties broken at random."""
        if self.epsilon and self.rng.random() < self.epsilon:
            return int(self.rng.integers(self.n_actions))
        values = self.q(active)
        best = np.flatnonzero(values == values.max())
        return int(best[0] if len(best) == 1 else self.rng.choice(best))

    def update(self, active, action, reward, next_active, next_action, terminated):
        """One semi-gradient SARSA step (eq. semi-gradient-sarsa); returns the TD error."""
        target = reward
        if not terminated:
            target += self.gamma * self.weight[next_action, next_active].sum()
        delta = target - self.weight[action, active].sum()
        self.weight[action, active] += self.step_size * delta
        return delta


@dataclass
class SarsaRun:
    steps: np.ndarray          # steps of each episode
    agent: SarsaAgent
    tiles: TileCoder
    snapshots: dict            # episode -> a copy of the weights after it


def mountain_car_tiles(env, n_tilings=8, tiles_per_dim=8):
    """A tile coder over mountain car's (position, velocity) box."""
    space = env.observation_space
    return TileCoder(space.low, space.high, n_tilings, tiles_per_dim)


def run_sarsa(env, tiles, agent, n_episodes, seed=0, snapshots=()):
    """Train ``agent``, which sees states through ``tiles``, for ``n_episodes`` episodes of
    ``env``; return the steps of each, and the weights after the episodes in ``snapshots``."""
    steps = np.zeros(n_episodes, dtype=int)
    kept = {}
    for episode in range(n_episodes):
        state, _ = env.reset(seed=seed + episode)
        active = tiles.active(state)
        action = agent.act(active)
        while True:
            next_state, reward, terminated, truncated, _ = env.step(action)
            next_active = tiles.active(next_state)
            next_action = agent.act(next_active)
            agent.update(active, action, reward, next_active, next_action, terminated)
            steps[episode] += 1
            if terminated or truncated:
                break
            active, action = next_active, next_action
        if episode + 1 in snapshots:
            kept[episode + 1] = agent.weight.copy()
    return SarsaRun(steps, agent, tiles, kept)


def run_sarsa_together(tiles, agents, n_episodes, seeds, snapshots=(), max_episode_steps=100_000):
    """``run_sarsa`` on mountain car for several greedy agents at once, each on its own car, in
    lockstep: one call of the car's equations (``envs.mountain_car_steps``, equal to gymnasium's
    ``MountainCar-v0`` step by step), of the tile coder and of the agents' arithmetic serves
    every car, and agent k's episode e starts where gymnasium's ``reset(seed=seeds[k] + e)``
    puts it. The agents' weights become rows of one array; ties are broken by each agent's own
    generator, as ``SarsaAgent.act`` breaks them. Returns one ``SarsaRun`` per agent, the same
    as ``run_sarsa`` with gymnasium's environment gives."""
    from .envs import mountain_car_steps
    if any(agent.epsilon for agent in agents):
        raise ValueError("run_sarsa_together plays greedy agents (epsilon = 0); use run_sarsa")
    n, rows = len(agents), np.arange(len(agents))
    n_actions, n_features = agents[0].weight.shape
    weight = np.stack([agent.weight for agent in agents])            # (agents, actions, features)
    for k, agent in enumerate(agents):
        agent.weight = weight[k]
    flat = weight.reshape(-1)                       # weight[k, a, i] = flat[(k * A + a) * F + i]
    step_size, gamma = (np.array([getattr(a, name) for a in agents]) for name in ("step_size", "gamma"))
    every_action = np.arange(n_actions)[:, None] * n_features

    def tiles_of(who, actions, active):             # flat indices of the active weights
        return ((who * n_actions + actions) * n_features)[:, None] + active

    def act(active, who):                           # SarsaAgent.act for the agents ``who``
        values = flat[(who * n_actions * n_features)[:, None, None] + every_action + active[:, None, :]].sum(axis=-1)
        top = values == values.max(axis=1, keepdims=True)
        chosen = top.argmax(axis=1)
        for i in np.flatnonzero(top.sum(axis=1) > 1):
            chosen[i] = agents[who[i]].rng.choice(np.flatnonzero(top[i]))
        return chosen

    steps = np.zeros((n, n_episodes), dtype=int)
    kept = [{} for _ in agents]
    episode = np.zeros(n, dtype=int)
    position, velocity = np.zeros(n), np.zeros(n)
    active, action = np.zeros((n, tiles.n_tilings), dtype=np.int64), np.zeros(n, dtype=np.int64)

    def start(k):                                   # gymnasium's reset(seed): position ~ U(-0.6, -0.4)
        position[k] = np.random.default_rng(seeds[k] + episode[k]).uniform(low=-0.6, high=-0.4)
        velocity[k] = 0.0
        active[k] = tiles.active(np.array([position[k], 0.0], dtype=np.float32))
        action[k] = act(active[k:k + 1], np.array([k]))[0]

    for k in range(n):
        start(k)
    p = rows                                        # the agents still playing
    while len(p):
        position, velocity = mountain_car_steps(position, velocity, action)
        observed = np.stack([position, velocity], axis=1).astype(np.float32)   # gymnasium's float32
        next_active = tiles.active(observed[p])
        terminated = (position[p] >= 0.5) & (velocity[p] >= 0)
        next_action = act(next_active, p)
        now = tiles_of(p, action[p], active[p])       # SarsaAgent.update, eq. semi-gradient-sarsa
        future = flat[tiles_of(p, next_action, next_active)].sum(axis=1)
        target = np.where(terminated, -1.0, -1.0 + gamma[p] * future)
        flat[now] += (step_size[p] * (target - flat[now].sum(axis=1)))[:, None]
        steps[p, episode[p]] += 1
        active[p], action[p] = next_active, next_action
        for k in p[terminated | (steps[p, episode[p]] == max_episode_steps)]:
            episode[k] += 1
            if episode[k] in snapshots:
                kept[k][int(episode[k])] = weight[k].copy()
            if episode[k] < n_episodes:
                start(k)
        p = rows[episode < n_episodes]
    return [SarsaRun(steps[k], agents[k], tiles, kept[k]) for k in range(n)]


def cost_to_go(tiles, weight, low, high, resolution=50):
    """-max_a q(s, a) on a grid of states (Sutton and Barto's Figure 10.1): the steps the agent
    with these weights expects to need from each state.
    Returns (positions, velocities, values[velocity, position])."""
    positions = np.linspace(low[0], high[0], resolution)
    velocities = np.linspace(low[1], high[1], resolution)
    grid = np.stack(np.meshgrid(positions, velocities), axis=-1)           # (v, p, 2)
    active = tiles.active(grid)                                            # (v, p, tilings)
    values = weight[:, active].sum(axis=-1)                         # (actions, v, p)
    return positions, velocities, -values.max(axis=0)
