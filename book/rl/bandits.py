"""The k-armed bandit: the testbed and four ways to choose an arm (chapters/rl/bandits.md).

Everything runs ``n_runs`` independent bandit problems side by side: ``Testbed.step`` takes one
arm per run and returns one reward per run, and every agent keeps its estimates as an
``(n_runs, k)`` array. One call of ``act`` and one of ``update`` advance all runs by a step,
so 2000 runs of 1000 steps are a thousand NumPy calls, not two million Python ones.

    testbed = Testbed(k=10, n_runs=2000, seed=0)
    result = run(EpsilonGreedy(10, 2000, epsilon=0.1), testbed, steps=1000)
    result.optimal[-1]          # fraction of runs that pulled the best arm at the last step

Speed: an agent stores its ``(n_runs, k)`` estimates as the transpose of a ``(k, n_runs)``
array, so that a maximum over the arms is ten element-wise operations across all runs, and
reads and writes the pulled arms through flat indices ``arm * n_runs + run``.
``run_together`` plays several agents in lockstep on one testbed with one draw of reward
noise per step, which is what separate testbeds with the same seed would give them.
"""
from dataclasses import dataclass

import numpy as np


def argmax_random(values, rng):
    """Row-wise argmax of a 2-D array with ties broken uniformly at random.

    ``np.argmax`` always returns the first maximum, which would make a greedy agent with equal
    estimates pull arm 0 forever. Random numbers are drawn only for the rows with a tie.
    """
    by_arm = values.T                                   # (k, n): contiguous for the agents' arrays
    top = by_arm == by_arm.max(axis=0)
    pick = (np.arange(len(by_arm), dtype=float) @ top).astype(np.intp)   # the one top arm's index
    if np.count_nonzero(top) > top.shape[1]:                            # some row has a tie
        tied = np.flatnonzero(top.sum(axis=0) > 1)
        pick[tied] = np.argmax(top[:, tied] * rng.random((len(by_arm), len(tied))), axis=0)
    return pick


def flat_index(actions, rows):
    """Where run ``rows[i]``'s pulled arm ``actions[i]`` sits in a flattened ``(k, n_runs)``
    array: ``arm * n_runs + run``."""
    return actions * len(rows) + rows


def by_arm(k, n_runs, value, dtype=float):
    """A ``(k, n_runs)`` array of ``value`` and its flat view (index ``arm * n_runs + run``)."""
    array = np.full((k, n_runs), value, dtype=dtype)
    return array, array.reshape(-1)


class Testbed:
    """``n_runs`` Gaussian k-armed bandits: true values q*(a) ~ N(mean, 1), rewards
    R ~ N(q*(A), 1) (eq. `testbed` of the bandits page; Sutton & Barto, section 2.3)."""

    def __init__(self, k=10, n_runs=2000, mean=0.0, seed=0):
        self.k, self.n_runs = k, n_runs
        self.rng = np.random.default_rng(seed)
        self.q_star = self.rng.normal(mean, 1.0, size=(n_runs, k))
        self.optimal_action = self.q_star.argmax(axis=1)
        self._rows = np.arange(n_runs)
        self._q = self.q_star.T.reshape(-1)                  # flat, index arm * n_runs + run
        self._gap = (self.q_star.max(axis=1, keepdims=True) - self.q_star).T.reshape(-1)

    def index(self, actions):
        return flat_index(actions, self._rows)

    def step(self, actions, noise=None):
        """Pull arm ``actions[i]`` in run i; returns the ``(n_runs,)`` rewards. ``noise``: this
        step's reward noise, if drawn already (``rng.standard_normal(n_runs)``)."""
        if noise is None:
            noise = self.rng.standard_normal(self.n_runs)
        return self._q[self.index(actions)] + noise


class EpsilonGreedy:
    """Action values by sample averages (or a constant step size), arm by epsilon-greedy.

    ``initial`` > 0 gives optimistic initial values; ``epsilon=0`` is the greedy agent.
    Update: Q(A) <- Q(A) + step (R - Q(A)), step = 1/N(A) or ``step_size`` (eq. `incremental`).
    """

    def __init__(self, k, n_runs, epsilon=0.1, initial=0.0, step_size=None, seed=1):
        self.k, self.epsilon, self.step_size = k, epsilon, step_size
        self.rng = np.random.default_rng(seed)
        values, self._Q = by_arm(k, n_runs, float(initial))
        counts, self._N = by_arm(k, n_runs, 0, np.int64)
        self.Q, self.N = values.T, counts.T                     # (n_runs, k) views
        self._rows = np.arange(n_runs)

    def act(self):
        actions = argmax_random(self.Q, self.rng)
        explore = np.flatnonzero(self.rng.random(len(actions)) < self.epsilon)
        actions[explore] = self.rng.integers(self.k, size=len(explore))
        return actions

    def update(self, actions, rewards):
        """Move the pulled arms' estimates towards their rewards; returns their pull counts."""
        i = flat_index(actions, self._rows)
        pulls = self._N[i] + 1
        self._N[i] = pulls
        step = 1.0 / pulls if self.step_size is None else self.step_size
        values = self._Q[i]
        self._Q[i] = values + step * (rewards - values)
        return pulls


class UCB(EpsilonGreedy):
    """Upper confidence bound: A = argmax Q(a) + c sqrt(ln t / N(a)), untried arms first
    (eq. `ucb`; Auer et al. 2002)."""

    def __init__(self, k, n_runs, c=2.0, seed=1):
        super().__init__(k, n_runs, epsilon=0.0, seed=seed)
        self.c, self.t = c, 0
        inverse, self._inverse_N = by_arm(k, n_runs, np.inf)      # 1 / N(a)
        self._inverse = inverse.T

    def act(self):
        self.t += 1
        with np.errstate(invalid="ignore"):             # 0 * inf for untried arms at t = 1
            values = self.Q + self.c * np.sqrt(np.log(self.t) * self._inverse)
        if self._N.min() == 0:
            values[self.N == 0] = np.inf                               # untried arms first
        return argmax_random(values, self.rng)

    def update(self, actions, rewards):
        pulls = super().update(actions, rewards)
        self._inverse_N[flat_index(actions, self._rows)] = 1.0 / pulls


class GradientBandit:
    """Preferences H(a), policy pi = softmax(H), stochastic gradient ascent on E[R]
    (eq. `gradient-bandit`): H <- H + alpha (R - baseline) (1{a = A} - pi).

    The baseline is the average of the rewards received before this step (0 with
    ``baseline=False``); it changes the variance of the update, not its mean.
    """

    def __init__(self, k, n_runs, step_size=0.1, baseline=True, seed=1):
        self.k, self.step_size, self.baseline = k, step_size, baseline
        self.rng = np.random.default_rng(seed)
        self._H, self._H_flat = by_arm(k, n_runs, 0.0)
        self.H = self._H.T                                          # (n_runs, k) view
        self.average_reward = np.zeros(n_runs)
        self.t = 0
        self._rows = np.arange(n_runs)
        self._pi = None                                             # the policy act sampled

    @property
    def policy(self):
        z = np.exp(self._H - self._H.max(axis=0))
        return (z / z.sum(axis=0)).T

    def act(self):
        self._pi = self.policy
        cumulative = self._pi.T.copy()                              # (k, n)
        for a in range(1, self.k):                                  # np.cumsum, but faster here
            cumulative[a] += cumulative[a - 1]
        u = self.rng.random(cumulative.shape[1]) * cumulative[-1]
        return np.minimum((cumulative < u).sum(axis=0), self.k - 1)

    def update(self, actions, rewards):
        pi = self.policy if self._pi is None else self._pi          # H has not moved since act
        self._pi = None
        self.t += 1
        if self.baseline:
            reference = rewards if self.t == 1 else self.average_reward
            self.average_reward += (rewards - self.average_reward) / self.t
        else:
            reference = 0.0
        step = self.step_size * (rewards - reference)
        self._H -= step * pi.T
        self._H_flat[flat_index(actions, self._rows)] += step


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


def run_together(agents, testbed, steps=1000):
    """Let every agent of the dict ``agents`` play its own copy of ``testbed`` for ``steps``
    steps in every run at once; the copies share the true values and each step's reward noise.
    Returns a ``BanditResult`` per agent."""
    n = testbed.n_runs
    curves = {name: np.empty((3, steps)) for name in agents}
    for t in range(steps):
        noise = testbed.rng.standard_normal(n)
        for name, agent in agents.items():
            actions = agent.act()
            i = testbed.index(actions)
            rewards = testbed._q[i] + noise
            agent.update(actions, rewards)
            gap = testbed._gap[i]
            curves[name][:, t] = rewards.sum(), n - np.count_nonzero(gap), gap.sum()
    return {name: BanditResult(reward / n, optimal / n, np.cumsum(gap) / n)
            for name, (reward, optimal, gap) in curves.items()}


def run(agent, testbed, steps=1000):
    """Let ``agent`` play ``testbed`` for ``steps`` steps in every run at once."""
    return run_together({None: agent}, testbed, steps)[None]
