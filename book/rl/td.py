"""Temporal-difference learning in tables: TD(0), SARSA, Q-learning, expected SARSA, and the
cliff they are compared on (chapters/rl/td.md).

Learners are vectorized over independent runs: ``TabularAgent.Q`` has shape
``(n_runs, n_states, n_actions)``, and ``act``/``update`` take one state, action and reward
per run. ``train`` steps all runs in lockstep; each run resets on its own when its episode
ends and stops learning after ``n_episodes`` episodes. With one run it is the textbook loop.

    env = CliffWalking()
    agent = TabularAgent(env.n_states, env.n_actions, "sarsa", n_runs=500, seed=0)
    result = train(env, agent, n_episodes=500)     # result.returns: (500 runs, 500 episodes)
"""
from dataclasses import dataclass

import numpy as np

from ..stepping import exhaust
from .mdp import MDP, MOVES

METHODS = ("sarsa", "q_learning", "expected_sarsa")


class CliffWalking:
    """Sutton & Barto's Example 6.6 (and gymnasium's ``CliffWalking-v1``): a grid of
    ``rows x cols``, start in the bottom-left cell, goal in the bottom-right, the cells between
    them are the cliff. Every step costs -1; stepping into the cliff costs -100 and sends the
    agent back to the start; reaching the goal ends the episode. Actions: up, right, down,
    left.

    The dynamics are the tables ``next_state``, ``reward``, ``terminated`` of shape (S, A),
    so ``step_many`` steps any number of agents at once; ``reset``/``step`` are gymnasium's
    single-agent interface.
    """

    n_actions = 4

    def __init__(self, shape=(4, 12)):
        rows, cols = self.shape = shape
        self.n_states = rows * cols
        self.start, self.goal = (rows - 1) * cols, rows * cols - 1
        self.cliff = np.arange(self.start + 1, self.goal)
        self.next_state = np.zeros((self.n_states, 4), dtype=np.int64)
        self.reward = np.full((self.n_states, 4), -1.0)
        self.terminated = np.zeros((self.n_states, 4), dtype=bool)
        for s in range(self.n_states):
            r, c = divmod(s, cols)
            for a, (dr, dc) in enumerate(MOVES):
                s2 = min(max(r + dr, 0), rows - 1) * cols + min(max(c + dc, 0), cols - 1)
                if s2 in self.cliff:
                    s2, self.reward[s, a] = self.start, -100.0
                self.next_state[s, a], self.terminated[s, a] = s2, s2 == self.goal
        self.state = self.start

    def reset(self, seed=None):
        self.state = self.start
        return self.state, {}

    def step(self, action):
        s = self.state
        self.state = int(self.next_state[s, action])
        return self.state, float(self.reward[s, action]), bool(self.terminated[s, action]), False, {}

    def step_many(self, states, actions):
        """One step for many agents: (next_states, rewards, terminated)."""
        return (self.next_state[states, actions], self.reward[states, actions],
                self.terminated[states, actions])

    def as_mdp(self, gamma=1.0):
        """The same dynamics as ``P``, ``R`` arrays, for dynamic programming (book.rl.mdp)."""
        P = np.zeros((self.n_states, 4, self.n_states))
        P[np.arange(self.n_states)[:, None], np.arange(4), self.next_state] = 1.0
        R = self.reward.copy()
        P[self.goal], R[self.goal] = 0.0, 0.0
        P[self.goal, :, self.goal] = 1.0
        terminal = np.zeros(self.n_states, dtype=bool)
        terminal[self.goal] = True
        return MDP(P, R, gamma, terminal, self.shape)


class TabularAgent:
    """Epsilon-greedy action values for ``n_runs`` independent learners.

    ``method`` chooses the target of the TD update Q(S, A) <- Q(S, A) + alpha [target - Q(S, A)]
    (eq. `td-control` of the TD page):
      sarsa           R + gamma Q(S', A'), A' the action actually taken next (on-policy)
      q_learning      R + gamma max_a Q(S', a) (off-policy: learns the greedy policy's values)
      expected_sarsa  R + gamma sum_a pi(a|S') Q(S', a), the mean over the epsilon-greedy policy
    """

    def __init__(self, n_states, n_actions, method="q_learning", n_runs=1, step_size=0.5,
                 epsilon=0.1, gamma=1.0, seed=0):
        if method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, not {method!r}")
        self.method, self.step_size, self.epsilon, self.gamma = method, step_size, epsilon, gamma
        self.n_runs, self.n_actions = n_runs, n_actions
        self.Q = np.zeros((n_runs, n_states, n_actions))
        self.rng = np.random.default_rng(seed)
        self._rows = np.arange(n_runs)
        self._noise, self._used = None, 0

    def _uniforms(self):
        """(n_runs, n_actions + 1) uniforms for one step, drawn 256 steps at a time (one call
        of the generator instead of three per step)."""
        if self._noise is None or self._used == len(self._noise):
            self._noise, self._used = self.rng.random((256, self.n_runs, self.n_actions + 1)), 0
        self._used += 1
        return self._noise[self._used - 1]

    def act(self, states):
        """One epsilon-greedy action per run (greedy ties broken at random)."""
        q = self.Q[self._rows, states]
        u = self._uniforms()
        greedy = np.argmax((q == q.max(axis=1, keepdims=True)) * u[:, 1:], axis=1)
        explore = u[:, 0] < self.epsilon
        # given u < epsilon, u / epsilon is uniform on [0, 1): it also picks the random action
        random_action = np.minimum((u[:, 0] * (self.n_actions / self.epsilon)).astype(np.int64),
                                   self.n_actions - 1) if self.epsilon > 0 else greedy
        return np.where(explore, random_action, greedy)

    def probabilities(self, q):
        """pi(a|s) of the epsilon-greedy policy for rows of action values, ties shared."""
        top = q == q.max(axis=1, keepdims=True)
        return self.epsilon / self.n_actions + (1 - self.epsilon) * top / top.sum(axis=1, keepdims=True)

    def update(self, states, actions, rewards, next_states, terminated, next_actions=None,
               active=None):
        """One TD update per run (only where ``active``); returns the TD errors."""
        rows = self._rows
        q_next = self.Q[rows, next_states]
        if self.method == "q_learning":
            future = q_next.max(axis=1)
        elif self.method == "sarsa":
            future = q_next[rows, next_actions]
        else:
            future = (self.probabilities(q_next) * q_next).sum(axis=1)
        target = rewards + self.gamma * np.where(terminated, 0.0, future)
        error = target - self.Q[rows, states, actions]
        step = self.step_size if active is None else self.step_size * active
        self.Q[rows, states, actions] += step * error
        return error


@dataclass
class TrainResult:
    returns: np.ndarray       # (n_runs, n_episodes) sum of rewards of each episode, online
    lengths: np.ndarray       # (n_runs, n_episodes) steps of each episode
    steps: int                # lockstep iterations (the longest run's number of steps)


def train(env, agent, n_episodes=500):
    """Run every learner for ``n_episodes`` episodes of ``env`` (a CliffWalking), updating
    after every step, as in the textbook loops: SARSA chooses its next action before the
    update (its target needs it), Q-learning and expected SARSA after."""
    return exhaust(training(env, agent, n_episodes))


def training(env, agent, n_episodes=500, pause_every=None):
    """``train`` as a generator that yields every ``pause_every`` steps (a live widget serves
    the kernel there) and returns the TrainResult."""
    n = agent.n_runs
    states = np.full(n, env.start)
    actions = agent.act(states)
    episode, running, length = np.zeros(n, dtype=np.int64), np.zeros(n), np.zeros(n, dtype=np.int64)
    returns, lengths = np.zeros((n, n_episodes)), np.zeros((n, n_episodes), dtype=np.int64)
    active, steps = np.ones(n, dtype=bool), 0
    while active.any():
        next_states, rewards, done = env.step_many(states, actions)
        following = np.where(done, env.start, next_states)       # a finished episode restarts
        if agent.method == "sarsa":                  # SARSA's target needs the next action
            next_actions = agent.act(following)
            agent.update(states, actions, rewards, next_states, done, next_actions, active)
        else:                                        # the others act on the updated values
            agent.update(states, actions, rewards, next_states, done, active=active)
            next_actions = agent.act(following)
        running += rewards
        length += 1
        ended = np.flatnonzero(done & active)
        returns[ended, episode[ended]], lengths[ended, episode[ended]] = running[ended], length[ended]
        running[done], length[done] = 0.0, 0
        episode += done & active
        active = episode < n_episodes
        states, actions = following, next_actions
        steps += 1
        if pause_every and steps % pause_every == 0:
            yield
    return TrainResult(returns, lengths, steps)


def greedy_returns(env, Q, max_steps=100):
    """Follow argmax_a Q(s, a) (lowest index on ties) from the start, in every run at once.

    Returns (returns, paths): the sum of rewards (-inf if the goal is not reached within
    ``max_steps``) and the ``(n_runs, max_steps + 1)`` visited states (the goal repeats after
    arrival)."""
    Q = np.asarray(Q).reshape(-1, env.n_states, env.n_actions)
    rows = np.arange(len(Q))
    states = np.full(len(Q), env.start)
    total, arrived = np.zeros(len(Q)), np.zeros(len(Q), dtype=bool)
    paths = [states]
    for _ in range(max_steps):
        actions = Q[rows, states].argmax(axis=1)
        next_states, rewards, done = env.step_many(states, actions)
        total += np.where(arrived, 0.0, rewards)
        arrived |= done
        states = np.where(arrived, env.goal, next_states)
        paths.append(states)
    return np.where(arrived, total, -np.inf), np.stack(paths, axis=1)


@dataclass
class PredictionResult:
    V: np.ndarray             # (n_runs, S) the final estimates
    steps: np.ndarray         # transitions seen when each error was recorded
    rms: np.ndarray           # RMS error over non-terminal states at those steps, mean over runs


def td0(mdp, policy, true_values, n_runs=100, n_steps=5000, step_size=0.1, record_every=50, seed=0):
    """TD(0) prediction, eq. `td0`: V(S) <- V(S) + alpha [R + gamma V(S') - V(S)], from V = 0.

    Each run follows ``policy`` (an (S, A) array) in ``mdp``; episodes start in a uniformly
    random non-terminal state and restart when a terminal state is reached. The RMS error
    against ``true_values`` is recorded every ``record_every`` transitions.
    """
    rng = np.random.default_rng(seed)
    rows, live = np.arange(n_runs), np.flatnonzero(~mdp.terminal)
    cumulative_pi = np.cumsum(policy, axis=1)
    cumulative_P = np.cumsum(mdp.P, axis=2)
    V = np.zeros((n_runs, mdp.n_states))
    states = rng.choice(live, size=n_runs)
    error = lambda: np.sqrt(((V[:, live] - true_values[live]) ** 2).mean(axis=1)).mean()
    recorded, rms = [0], [error()]
    for t in range(1, n_steps + 1):
        u = rng.random((3, n_runs, 1))
        actions = (cumulative_pi[states] < u[0]).sum(axis=1)
        next_states = np.minimum((cumulative_P[states, actions] < u[1]).sum(axis=1), mdp.n_states - 1)
        ended = mdp.terminal[next_states]
        target = mdp.R[states, actions] + mdp.gamma * np.where(ended, 0.0, V[rows, next_states])
        V[rows, states] += step_size * (target - V[rows, states])
        restart = live[np.minimum((u[2, :, 0] * len(live)).astype(np.int64), len(live) - 1)]
        states = np.where(ended, restart, next_states)
        if t % record_every == 0:
            recorded.append(t)
            rms.append(error())
    return PredictionResult(V, np.array(recorded), np.array(rms))
