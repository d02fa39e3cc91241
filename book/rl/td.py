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
        i = states * self.n_actions + actions
        return self.next_state.take(i), self.reward.take(i), self.terminated.take(i)

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

    ``Q`` is an ``(n_runs, n_states, n_actions)`` view of an ``(n_states, n_actions, n_runs)``
    array: a state's action values for all runs are then one gather of a few contiguous
    elements (flat index ``(state * n_actions + action) * n_runs + run``), and a maximum over
    actions is a few element-wise operations across the runs.
    """

    def __init__(self, n_states, n_actions, method="q_learning", n_runs=1, step_size=0.5,
                 epsilon=0.1, gamma=1.0, seed=0):
        if method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, not {method!r}")
        self.method, self.step_size, self.epsilon, self.gamma = method, step_size, epsilon, gamma
        self.n_runs, self.n_actions = n_runs, n_actions
        values = np.zeros((n_states, n_actions, n_runs))
        self.Q, self._Q = values.transpose(2, 0, 1), values.reshape(-1)
        self.rng = np.random.default_rng(seed)
        self._rows = np.arange(n_runs)
        self._actions = np.arange(n_actions)[:, None] * n_runs            # (A, 1) offsets
        self._noise, self._used = None, 0

    def _uniforms(self):
        """(n_actions + 1, n_runs) uniforms for one step, drawn 256 steps at a time (one call
        of the generator instead of three per step)."""
        if self._noise is None or self._used == len(self._noise):
            noise = self.rng.random((256, self.n_runs, self.n_actions + 1))
            self._noise, self._used = noise.transpose(0, 2, 1), 0
            # given u < epsilon, u / epsilon is uniform on [0, 1): it also picks the random action
            u = self._noise[:, 0]
            self._explore = u < self.epsilon
            self._random = (np.minimum((u * (self.n_actions / self.epsilon)).astype(np.int64), self.n_actions - 1)
                            if self.epsilon > 0 else np.zeros(u.shape, dtype=np.int64))
        self._used += 1
        return self._noise[self._used - 1]

    def index(self, states, actions=None):
        """Flat indices of Q(s, a) for one state per run: ``(n_runs,)`` for given actions,
        ``(n_actions, n_runs)`` for all of them."""
        base = states * (self.n_actions * self.n_runs) + self._rows
        return base + (self._actions if actions is None else actions * self.n_runs)

    def act(self, states):
        """One epsilon-greedy action per run (greedy ties broken at random)."""
        q = self._Q.take(self.index(states))
        u = self._uniforms()
        greedy = ((q == q.max(axis=0)) * u[1:]).argmax(axis=0)
        t = self._used - 1                         # this step's row of the block
        return np.where(self._explore[t], self._random[t], greedy)

    def probabilities(self, q, axis=1):
        """pi(a|s) of the epsilon-greedy policy for action values along ``axis``, ties shared."""
        top = q == q.max(axis=axis, keepdims=True)
        return self.epsilon / self.n_actions + (1 - self.epsilon) * top / top.sum(axis=axis, keepdims=True)

    def update(self, states, actions, rewards, next_states, terminated, next_actions=None,
               active=None):
        """One TD update per run (only where ``active``; everywhere for None); returns the TD
        errors. (Gathers with ``take``, and no multiplication by a gamma of 1: a run's step is a
        few dozen numpy calls on a few hundred numbers, so the calls are its cost.)"""
        if self.method == "sarsa":
            future = self._Q.take(self.index(next_states, next_actions))
        else:
            q_next = self._Q.take(self.index(next_states))
            if self.method == "q_learning":
                future = q_next.max(axis=0)
            else:
                future = (self.probabilities(q_next, axis=0) * q_next).sum(axis=0)
        future[terminated] = 0.0
        if self.gamma != 1.0:                        # 1.0 * x is x: skipped
            future = self.gamma * future
        i = self.index(states, actions)
        q = self._Q.take(i)
        error = rewards + future - q
        self._Q[i] = q + (self.step_size if active is None else self.step_size * active) * error
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
    if agent.n_runs == 1:
        return (yield from training_one_run(env, agent, n_episodes, pause_every))
    return (yield from training_runs(env, agent, n_episodes, pause_every))


def training_runs(env, agent, n_episodes=500, pause_every=None):
    """``training`` for all of the agent's runs in lockstep, in numpy. While no run has
    finished, the updates skip the mask of the runs still learning."""
    n = agent.n_runs
    states = np.full(n, env.start)
    actions = agent.act(states)
    episode = np.zeros(n, dtype=np.int64)
    total = np.zeros(n)                           # every reward so far, episode after episode
    total_at_end = np.zeros((n, n_episodes + 1))  # total and steps when each episode ended
    steps_at_end = np.zeros((n, n_episodes + 1), dtype=np.int64)
    active, learning, steps = np.ones(n, dtype=bool), None, 0    # learning: None while all are
    while learning is None or active.any():
        next_states, rewards, done = env.step_many(states, actions)
        following = np.where(done, env.start, next_states)       # a finished episode restarts
        if agent.method == "sarsa":                  # SARSA's target needs the next action
            next_actions = agent.act(following)
            agent.update(states, actions, rewards, next_states, done, next_actions, learning)
        else:                                        # the others act on the updated values
            agent.update(states, actions, rewards, next_states, done, active=learning)
            next_actions = agent.act(following)
        total += rewards
        steps += 1
        ended = np.flatnonzero(done if learning is None else done & active)
        if len(ended):
            episode[ended] += 1
            total_at_end[ended, episode[ended]], steps_at_end[ended, episode[ended]] = total[ended], steps
            if episode[ended].max() >= n_episodes:
                active = learning = episode < n_episodes
        states, actions = following, next_actions
        if pause_every and steps % pause_every == 0:
            yield
    return TrainResult(np.diff(total_at_end), np.diff(steps_at_end), steps)


def training_one_run(env, agent, n_episodes=500, pause_every=None):
    """``training`` for an agent with a single run (the cliff explorer's), in Python floats:
    for one run numpy's cost per call outweighs the arithmetic. The same operations in the same
    order as ``TabularAgent.act`` and ``update``, so the same numbers (the tests compare them)."""
    A, epsilon, alpha, gamma, method = agent.n_actions, agent.epsilon, agent.step_size, agent.gamma, agent.method
    Q = agent.Q[0].tolist()                                    # Q[s][a], written back at the end
    next_state, reward, terminated = env.next_state.tolist(), env.reward.tolist(), env.terminated.tolist()

    def act(state):
        u = agent._uniforms()[:, 0].tolist()
        if u[0] < epsilon:                       # given u < epsilon, u / epsilon is uniform too
            return min(int(u[0] * (A / epsilon)), A - 1)
        q = Q[state]
        best = max(q)
        keys = [u[1 + a] if q[a] == best else 0.0 for a in range(A)]    # ties broken at random
        return keys.index(max(keys))

    def expected(q):                             # sum_a pi(a|s) q(s, a) under epsilon-greedy
        best = max(q)
        count = q.count(best)
        total = 0.0
        for value in q:
            total += (epsilon / A + (1 - epsilon) * (1.0 if value == best else 0.0) / count) * value
        return total

    state, steps, total = env.start, 0, 0.0
    action = act(state)
    totals, ends = [0.0], [0]                    # the total reward and steps as each episode ends
    while len(totals) <= n_episodes:
        next_, done = next_state[state][action], terminated[state][action]
        following = env.start if done else next_
        if method == "sarsa":                    # SARSA's target needs the next action
            next_action = act(following)
            future = Q[next_][next_action]
        else:
            future = max(Q[next_]) if method == "q_learning" else expected(Q[next_])
        r = reward[state][action]
        Q[state][action] += alpha * (r + gamma * (0.0 if done else future) - Q[state][action])
        if method != "sarsa":                    # the others act on the updated values
            next_action = act(following)
        total += r
        steps += 1
        if done:
            totals.append(total)
            ends.append(steps)
        state, action = following, next_action
        if pause_every and steps % pause_every == 0:
            yield
    agent.Q[0] = Q
    return TrainResult(np.diff([totals]), np.diff([ends]), steps)


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

    ``step_size`` may be a tuple of step sizes: one learner for each in every run, all learning
    from the same transitions (the policy does not depend on V), and a dict of results by step
    size is returned.
    """
    alphas = np.atleast_1d(step_size).astype(float)[:, None]       # (m, 1)
    rng = np.random.default_rng(seed)
    S, live = mdp.n_states, np.flatnonzero(~mdp.terminal)
    base = np.arange(n_runs) * S
    cumulative_pi = np.cumsum(policy, axis=1)
    cumulative_P = np.cumsum(mdp.P, axis=2)
    V = np.zeros((len(alphas), n_runs * S))                        # V[k, run * S + state]
    states = rng.choice(live, size=n_runs)

    def error():
        by_state = V.reshape(len(alphas), n_runs, S)[:, :, live] - true_values[live]
        return np.sqrt((by_state ** 2).mean(axis=2)).mean(axis=1)

    recorded, rms = [0], [error()]
    # the uniforms of 256 steps in one call (the generator's stream is the same), and the
    # tables read as flat arrays indexed by state * A + action (one gather instead of two)
    A, block = policy.shape[1], 256
    cumulative_P, reward = cumulative_P.reshape(S * A, S), mdp.R.reshape(-1)
    for t in range(1, n_steps + 1):
        if (t - 1) % block == 0:
            noise = rng.random((min(block, n_steps - t + 1), 3, n_runs, 1))
            restarts = live[np.minimum((noise[:, 2, :, 0] * len(live)).astype(np.int64), len(live) - 1)]
        u = noise[(t - 1) % block]
        actions = (cumulative_pi[states] < u[0]).sum(axis=1)
        sa = states * A + actions
        next_states = np.minimum((cumulative_P[sa] < u[1]).sum(axis=1), S - 1)
        ended = mdp.terminal[next_states]
        v_next = V[:, base + next_states]
        v_next[:, ended] = 0.0
        i = base + states
        v = V[:, i]
        V[:, i] = v + alphas * (reward[sa] + mdp.gamma * v_next - v)
        states = np.where(ended, restarts[(t - 1) % block], next_states)
        if t % record_every == 0:
            recorded.append(t)
            rms.append(error())
    rms, V = np.array(rms).T, V.reshape(len(alphas), n_runs, S)
    results = {alpha: PredictionResult(V[k], np.array(recorded), rms[k])
               for k, alpha in enumerate(np.atleast_1d(step_size))}
    return results if np.ndim(step_size) else results[step_size]
