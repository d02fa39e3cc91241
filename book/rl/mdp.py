"""Finite Markov decision processes and dynamic programming (chapters/rl/mdp.md).

An MDP is two arrays: ``P[s, a, s']``, the probability of landing in s' after action a in s,
and ``R[s, a]``, the expected reward of that step. Terminal states are absorbing and pay
nothing, so their value stays 0. A policy is an ``(S, A)`` array of action probabilities.
Everything below is a few lines of linear algebra on these arrays:

    backup               Q(s, a) = R(s, a) + gamma sum_s' P(s'|s, a) V(s')   (eq. `q-from-v`)
    policy_evaluation    iterate the Bellman expectation equation            (eq. `bellman-v`)
    exact_value          solve it as a linear system                         (eq. `linear-solve`)
    policy_iteration     evaluate, act greedily, repeat                      (eq. `improvement`)
    value_iteration      iterate the Bellman optimality equation             (eq. `bellman-opt`)

Environments: ``gridworld`` (Sutton & Barto's Example 4.1 is ``example_4_1()``) and
``ring``, a particle on a ring that pushes itself to a target and must brake there.
"""
from dataclasses import dataclass, field

import numpy as np

MOVES = np.array([(-1, 0), (0, 1), (1, 0), (0, -1)])     # up, right, down, left (gymnasium's order)
ARROWS = "↑→↓←"


@dataclass
class MDP:
    P: np.ndarray                  # (S, A, S) transition probabilities p(s' | s, a)
    R: np.ndarray                  # (S, A) expected reward r(s, a)
    gamma: float = 1.0
    terminal: np.ndarray = None    # (S,) bool; absorbing, reward 0
    shape: tuple = None            # the grid, for gridworlds

    def __post_init__(self):
        if self.terminal is None:
            self.terminal = np.zeros(len(self.R), dtype=bool)

    @property
    def n_states(self):
        return self.R.shape[0]

    @property
    def n_actions(self):
        return self.R.shape[1]


def gridworld(shape, terminals=(), step_reward=-1.0, rewards=None, walls=(), slip=0.0,
              gamma=1.0):
    """A grid of ``rows x cols`` cells numbered row by row; actions up, right, down, left.

    A move off the grid or into a wall leaves the agent where it is. With probability ``slip``
    the agent moves in a uniformly random direction instead. Every step pays ``step_reward``
    plus ``rewards[s']`` for entering s'. Terminal cells absorb and pay nothing.
    """
    rows, cols = shape
    n = rows * cols
    terminal = np.zeros(n, dtype=bool)
    terminal[list(terminals)] = True
    blocked = set(walls)
    bonus = np.zeros(n)
    for s, r in (rewards or {}).items():
        bonus[s] = r
    P, R = np.zeros((n, 4, n)), np.zeros((n, 4))
    for s in range(n):
        if terminal[s] or s in blocked:
            P[s, :, s] = 1.0
            continue
        r, c = divmod(s, cols)
        landing = []
        for dr, dc in MOVES:
            r2, c2 = r + dr, c + dc
            inside = 0 <= r2 < rows and 0 <= c2 < cols and r2 * cols + c2 not in blocked
            landing.append(r2 * cols + c2 if inside else s)
        for a in range(4):
            for move, s2 in enumerate(landing):
                p = (1 - slip) * (move == a) + slip / 4
                P[s, a, s2] += p
                R[s, a] += p * (step_reward + bonus[s2])
    return MDP(P, R, gamma, terminal, shape)


def example_4_1():
    """Sutton & Barto's Example 4.1: a 4x4 grid, terminal corners, reward -1 per step, no
    discount."""
    return gridworld((4, 4), terminals=(0, 15))


def uniform_policy(mdp):
    """The equiprobable random policy."""
    return np.full((mdp.n_states, mdp.n_actions), 1.0 / mdp.n_actions)


def deterministic(actions, n_actions):
    """A policy array from one action per state."""
    return np.eye(n_actions)[np.asarray(actions)]


def backup(mdp, V):
    """Action values from state values, eq. `q-from-v`: R + gamma P V, shape (S, A)."""
    return mdp.R + mdp.gamma * mdp.P @ V


def sweep(mdp, V, policy=None):
    """One synchronous sweep from V: the Bellman optimality update (eq. `bellman-opt`) without
    a policy, the expectation update (eq. `bellman-v`) for ``policy``; terminal states stay 0."""
    Q = backup(mdp, V)
    new = Q.max(axis=1) if policy is None else (policy * Q).sum(axis=1)
    new[mdp.terminal] = 0.0
    return new


@dataclass
class Evaluation:
    V: np.ndarray                                      # the last estimate
    history: list = field(default_factory=list)        # V after each sweep, V_0 first
    deltas: list = field(default_factory=list)         # largest change of each sweep


def policy_evaluation(mdp, policy, theta=1e-10, in_place=False, max_sweeps=100_000):
    """Iterative policy evaluation (eq. `bellman-v` as an update), from V = 0.

    ``in_place=False`` computes each sweep from the previous one (two arrays, the figure in
    Sutton & Barto); ``in_place=True`` uses new values as soon as they exist (one array).
    """
    V = np.zeros(mdp.n_states)
    result = Evaluation(V.copy(), [V.copy()])
    for _ in range(max_sweeps):
        if in_place:
            old = V.copy()
            for s in range(mdp.n_states):
                V[s] = policy[s] @ (mdp.R[s] + mdp.gamma * mdp.P[s] @ V)
            V[mdp.terminal] = 0.0
        else:
            old, V = V, sweep(mdp, V, policy)
        result.history.append(V.copy())
        result.deltas.append(np.abs(V - old).max())
        if result.deltas[-1] < theta:
            break
    result.V = V
    return result


def exact_value(mdp, policy):
    """v_pi from the linear system (I - gamma P_pi) v = r_pi on the non-terminal states
    (eq. `linear-solve`). The policy must reach a terminal state when gamma = 1."""
    live = ~mdp.terminal
    P_pi = np.einsum("sa,sat->st", policy, mdp.P)[np.ix_(live, live)]
    r_pi = (policy * mdp.R).sum(axis=1)[live]
    V = np.zeros(mdp.n_states)
    V[live] = np.linalg.solve(np.eye(live.sum()) - mdp.gamma * P_pi, r_pi)
    return V


def greedy(mdp, V, keep=None, tol=1e-9):
    """One greedy action per state (eq. `improvement`); ties go to ``keep``'s action where it
    is among the best (so policy iteration stops), else to the lowest index."""
    best = greedy_set(mdp, V, tol)
    actions = best.argmax(axis=1)
    if keep is not None:
        stay = best[np.arange(mdp.n_states), keep]
        actions = np.where(stay, keep, actions)
    return actions


def greedy_set(mdp, V, tol=1e-9):
    """Every greedy action: an (S, A) boolean array, True where Q(s, a) is within ``tol`` of the
    best (the arrows of a policy figure)."""
    Q = backup(mdp, V)
    return Q >= Q.max(axis=1, keepdims=True) - tol


def greedy_uniform(mdp, V, tol=1e-9):
    """The policy that splits its probability equally among the greedy actions."""
    best = greedy_set(mdp, V, tol)
    return best / best.sum(axis=1, keepdims=True)


@dataclass
class PolicyIteration:
    policy: np.ndarray        # (S,) the greedy actions of the last round
    V: np.ndarray
    values: list              # v_pi of each policy, starting with the random policy's


def policy_iteration(mdp, max_rounds=1000):
    """Evaluate exactly, improve greedily, until the policy stops changing. Starts from the
    random policy, which reaches a terminal state in an episodic gridworld."""
    V = exact_value(mdp, uniform_policy(mdp))
    values, actions = [V], None
    for _ in range(max_rounds):
        new = greedy(mdp, V, keep=actions)
        if actions is not None and np.array_equal(new, actions):
            break
        actions = new
        V = exact_value(mdp, deterministic(actions, mdp.n_actions))
        values.append(V)
    return PolicyIteration(actions, V, values)


@dataclass
class ValueIteration:
    V: np.ndarray
    policy: np.ndarray        # (S,) greedy actions with respect to V
    deltas: list              # largest change of each sweep


def value_iteration(mdp, theta=1e-10, max_sweeps=100_000):
    """V <- max_a [R + gamma P V] until the largest change is below ``theta`` (eq. `bellman-opt`)."""
    V, deltas = np.zeros(mdp.n_states), []
    for _ in range(max_sweeps):
        new = sweep(mdp, V)
        deltas.append(np.abs(new - V).max())
        V = new
        if deltas[-1] < theta:
            break
    return ValueIteration(V, greedy(mdp, V), deltas)


def cliff(slip=0.0, gamma=1.0, shape=(4, 12)):
    """Sutton & Barto's cliff walk (Example 6.6) as a known MDP: start in the bottom-left
    corner, goal in the bottom-right, the cells between them a cliff that ends the episode with
    -100; -1 per step; with probability ``slip`` a move goes in a random direction.
    Returns (mdp, start, goal, cliff cells)."""
    rows, cols = shape
    start, goal = (rows - 1) * cols, rows * cols - 1
    edge = list(range(start + 1, goal))
    world = gridworld(shape, terminals=[goal, *edge], rewards={c: -100.0 for c in edge},
                      slip=slip, gamma=gamma)
    return world, start, goal, edge


def likely_path(mdp, actions, start, max_steps=None):
    """The states a deterministic policy visits from ``start`` when every move lands where it
    most probably does (the intended cell, for a gridworld with slip < 3/4), up to a terminal
    state or ``max_steps`` (default: the number of states)."""
    path = [start]
    for _ in range(max_steps or mdp.n_states):
        if mdp.terminal[path[-1]]:
            break
        path.append(int(mdp.P[path[-1], actions[path[-1]]].argmax()))
    return np.array(path)


def ring(n_sites=16, max_speed=3, friction=0.3, push_cost=0.05, gamma=0.9):
    """A particle on a ring of ``n_sites`` sites with velocity -max_speed..max_speed.

    Each step it pushes with a in {-1, 0, +1}: v' = clip(v + a); friction then takes one unit
    of speed away with probability ``friction``; x' = x + v' (mod n_sites). It earns 1 for
    every step that ends on site 0 and pays ``push_cost`` per push. State index:
    x * (2 max_speed + 1) + (v + max_speed). Actions 0, 1, 2 are pushes -1, 0, +1.
    """
    speeds = np.arange(-max_speed, max_speed + 1)
    n_v = len(speeds)
    n = n_sites * n_v
    P, R = np.zeros((n, 3, n)), np.zeros((n, 3))
    for x in range(n_sites):
        for i, v in enumerate(speeds):
            s = x * n_v + i
            for a, push in enumerate((-1, 0, 1)):
                v1 = int(np.clip(v + push, -max_speed, max_speed))
                outcomes = [(1 - friction, v1), (friction, v1 - np.sign(v1))] if v1 else [(1.0, 0)]
                for p, v2 in outcomes:
                    x2 = (x + v2) % n_sites
                    P[s, a, x2 * n_v + v2 + max_speed] += p
                    R[s, a] += p * (x2 == 0)
                R[s, a] -= push_cost * abs(push)
    return MDP(P, R, gamma, shape=(n_sites, n_v))


def rollout(mdp, actions, start, steps, seed=0):
    """States visited by a deterministic policy from ``start`` (sampling p(s'|s, a))."""
    rng = np.random.default_rng(seed)
    states = [start]
    for _ in range(steps):
        s = states[-1]
        states.append(int(rng.choice(mdp.n_states, p=mdp.P[s, actions[s]])))
    return np.array(states)
