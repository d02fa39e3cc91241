"""The k-armed bandit: the testbed and four ways to choose an arm (chapters/rl/bandits.md).

Everything runs ``n_runs`` independent bandit problems side by side: ``Testbed.step`` takes one
arm per run and returns one reward per run, and every agent keeps its estimates as an
``(n_runs, k)`` array. One call of ``act`` and one of ``update`` advance all runs by a step,
so 2000 runs of 1000 steps are a thousand NumPy calls, not two million Python ones.

    testbed = Testbed(k=10, n_runs=2000, seed=0)
    result = run(EpsilonGreedy(10, 2000, epsilon=0.1), testbed, steps=1000)
    result.optimal[-1]          # fraction of runs that pulled the best arm at the last step
"""
from dataclasses import dataclass

import numpy as np


def argmax_random(values, rng):
    """Row-wise argmax of a 2-D array with ties broken uniformly at random.

    ``np.argmax`` always returns the first maximum, which would make a greedy agent with equal
    estimates pull arm 0 forever.
    """
    top = values == values.max(axis=1, keepdims=True)
    return np.argmax(top * rng.random(values.shape), axis=1)


class Testbed:
    """``n_runs`` Gaussian k-armed bandits: true values q*(a) ~ N(mean, 1), rewards
    R ~ N(q*(A), 1) (eq. `testbed` of the bandits page; Sutton & Barto, section 2.3)."""

    def __init__(self, k=10, n_runs=2000, mean=0.0, seed=0):
        self.k, self.n_runs = k, n_runs
        self.rng = np.random.default_rng(seed)
        self.q_star = self.rng.normal(mean, 1.0, size=(n_runs, k))
        self.optimal_action = self.q_star.argmax(axis=1)
        self._rows = np.arange(n_runs)

    def step(self, actions):
        """Pull arm ``actions[i]`` in run i; returns the ``(n_runs,)`` rewards."""
        return self.q_star[self._rows, actions] + self.rng.standard_normal(self.n_runs)


class EpsilonGreedy:
    """Action values by sample averages (or a constant step size), arm by epsilon-greedy.

    ``initial`` > 0 gives optimistic initial values; ``epsilon=0`` is the greedy agent.
    Update: Q(A) <- Q(A) + step (R - Q(A)), step = 1/N(A) or ``step_size`` (eq. `incremental`).
    """

    def __init__(self, k, n_runs, epsilon=0.1, initial=0.0, step_size=None, seed=1):
        self.k, self.epsilon, self.step_size = k, epsilon, step_size
        self.rng = np.random.default_rng(seed)
        self.Q = np.full((n_runs, k), float(initial))
        self.N = np.zeros((n_runs, k), dtype=np.int64)
        self._rows = np.arange(n_runs)

    def act(self):
        greedy = argmax_random(self.Q, self.rng)
        explore = self.rng.random(len(greedy)) < self.epsilon
        return np.where(explore, self.rng.integers(self.k, size=len(greedy)), greedy)

    def update(self, actions, rewards):
        rows = self._rows
        self.N[rows, actions] += 1
        step = 1.0 / self.N[rows, actions] if self.step_size is None else self.step_size
        self.Q[rows, actions] += step * (rewards - self.Q[rows, actions])


class UCB(EpsilonGreedy):
    """Upper confidence bound: A = argmax Q(a) + c sqrt(ln t / N(a)), untried arms first
    (eq. `ucb`; Auer et al. 2002)."""

    def __init__(self, k, n_runs, c=2.0, seed=1):
        super().__init__(k, n_runs, epsilon=0.0, seed=seed)
        self.c, self.t = c, 0

    def act(self):
        self.t += 1
        bonus = self.c * np.sqrt(np.log(self.t) / np.maximum(self.N, 1))
        bonus[self.N == 0] = np.inf                                 # untried arms first
        return argmax_random(self.Q + bonus, self.rng)


class GradientBandit:
    """Preferences H(a), policy pi = softmax(H), stochastic gradient ascent on E[R]
    (eq. `gradient-bandit`): H <- H + alpha (R - baseline) (1{a = A} - pi).

    The baseline is the average of the rewards received before this step (0 with
    ``baseline=False``); it changes the variance of the update, not its mean.
    """

    def __init__(self, k, n_runs, step_size=0.1, baseline=True, seed=1):
        self.k, self.step_size, self.baseline = k, step_size, baseline
        self.rng = np.random.default_rng(seed)
        self.H = np.zeros((n_runs, k))
        self.average_reward = np.zeros(n_runs)
        self.t = 0
        self._rows = np.arange(n_runs)

    @property
    def policy(self):
        z = np.exp(self.H - self.H.max(axis=1, keepdims=True))
        return z / z.sum(axis=1, keepdims=True)

    def act(self):
        cumulative = np.cumsum(self.policy, axis=1)
        u = self.rng.random((len(cumulative), 1)) * cumulative[:, -1:]
        return np.minimum((cumulative < u).sum(axis=1), self.k - 1)

    def update(self, actions, rewards):
        pi = self.policy
        self.t += 1
        if self.baseline:
            reference = rewards if self.t == 1 else self.average_reward
            self.average_reward += (rewards - self.average_reward) / self.t
        else:
            reference = 0.0
        one_hot = np.zeros_like(pi)
        one_hot[self._rows, actions] = 1.0
        self.H += self.step_size * (rewards - reference)[:, None] * (one_hot - pi)


class RandomArm:
    """The trivial baseline: a uniformly random arm every step."""

    def __init__(self, k, n_runs, seed=1):
        self.k, self.n_runs = k, n_runs
        self.rng = np.random.default_rng(seed)

    def act(self):
        return self.rng.integers(self.k, size=self.n_runs)

    def update(self, actions, rewards):
        pass


@dataclass
class BanditResult:
    """Averages over runs, one entry per step (index 0 is step 1)."""
    reward: np.ndarray       # mean reward
    optimal: np.ndarray      # fraction of runs that pulled their best arm
    regret: np.ndarray       # cumulative expected regret, sum of q*(a*) - q*(A_t) (eq. `regret`)
    counts: np.ndarray       # (n_runs, k) how often each arm was pulled


def run(agent, testbed, steps=1000):
    """Let ``agent`` play ``testbed`` for ``steps`` steps in every run at once."""
    rows = np.arange(testbed.n_runs)
    best = testbed.q_star.max(axis=1)
    reward, optimal, gap = np.empty(steps), np.empty(steps), np.empty(steps)
    counts = np.zeros((testbed.n_runs, testbed.k), dtype=np.int64)
    for t in range(steps):
        actions = agent.act()
        rewards = testbed.step(actions)
        agent.update(actions, rewards)
        counts[rows, actions] += 1
        reward[t] = rewards.mean()
        optimal[t] = (actions == testbed.optimal_action).mean()
        gap[t] = (best - testbed.q_star[rows, actions]).mean()
    return BanditResult(reward, optimal, np.cumsum(gap), counts)
