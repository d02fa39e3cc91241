"""Policy gradients: REINFORCE, baselines and actor-critic (Sutton and Barto, chapter 13).

Two settings. The short corridor (Example 13.1), where the policy cannot tell the states apart
and the best policy is stochastic: everything is exact there (the objective, its optimum,
its gradient), so the variance of a gradient estimate can be measured against the truth.
And CartPole, where the policy is a small network and the baseline a second one.
The page ``chapters/rl/policy_gradients`` derives the updates cited below.
"""
import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ..device import get_device
from ..nn.optimizers import Adam         # the Adam of the training chapter, written out
from ..stepping import exhaust
from .envs import ShortCorridor, cartpole_vector

# --- the short corridor, exactly ---------------------------------------------------------

BEST_P_RIGHT = 2 - math.sqrt(2)      # the maximiser of corridor_objective, from dJ/dp = 0


def corridor_values(p_right):
    """v_pi of the corridor's states 0, 1, 2 when every state goes right with ``p_right``:
    the solution of the Bellman equations v = -1 + P v, a 3 x 3 linear system."""
    p, q = p_right, 1 - p_right
    transitions = np.array([[q, p, 0],          # state 0: left stays, right -> 1
                            [p, 0, q],          # state 1 (switched): right -> 0, left -> 2
                            [0, q, 0]])         # state 2: left -> 1, right -> goal (value 0)
    return np.linalg.solve(np.eye(3) - transitions, -np.ones(3))


def corridor_objective(p_right):
    """J = v_pi(start) = (2p - 4) / (p (1 - p)) (eq. corridor-objective)."""
    p = np.asarray(p_right, dtype=float)
    return (2 * p - 4) / (p * (1 - p))


def sigmoid(theta):
    return 1 / (1 + math.exp(-theta))


def logit(p):
    return math.log(p / (1 - p))


def grad_log_policy(theta, action):
    """d/dtheta log pi(action) for pi(right) = sigmoid(theta): 1 - p for right, -p for left."""
    return (1.0 if action == 1 else 0.0) - sigmoid(theta)


def corridor_gradient(theta):
    """The exact policy gradient dJ/dtheta = dJ/dp * p (1 - p)."""
    p = sigmoid(theta)
    dj_dp = (2 * p * (1 - p) - (2 * p - 4) * (1 - 2 * p)) / (p * (1 - p)) ** 2
    return dj_dp * p * (1 - p)


# --- agents for the corridor: act(state), update(state, action, reward, next_state, terminated)

def uniforms(rng, block=4096):
    """The generator's numbers in [0, 1) one by one: the same numbers as ``rng.random()`` call
    after call, drawn ``block`` at a time, which costs a fraction of a call each."""
    while True:
        yield from rng.random(block).tolist()


class CorridorPolicy:
    """The corridor's policy: right with probability sigmoid(theta), whatever the state, and a
    table of state values for a baseline or a critic.

    The corridor's learners take hundreds of thousands of steps in plain Python, so the
    numbers are Python floats (numpy's scalars cost more per operation), and ``p_right`` is
    computed once when theta changes rather than at every use."""

    def __init__(self, step_size, theta, gamma, seed):
        self.step_size, self.theta, self.gamma = step_size, theta, gamma
        self.values = [0.0] * ShortCorridor.n_states
        self.uniforms = uniforms(np.random.default_rng(seed))

    @property
    def theta(self):
        return self._theta

    @theta.setter
    def theta(self, theta):
        self._theta, self.p_right = theta, sigmoid(theta)

    def act(self, state):
        return int(next(self.uniforms) < self.p_right)


class Reinforce(CorridorPolicy):
    """REINFORCE (eq. reinforce) on the logit theta of p(right), with an optional baseline.

    The baseline, if ``baseline_step`` is given, is a table of state values learned by Monte
    Carlo (eq. reinforce-baseline): a baseline may depend on the state, and only on the state.
    The update waits for the end of the episode.
    """

    def __init__(self, step_size=2 ** -12, theta=logit(0.05), baseline_step=None, gamma=1.0, seed=0):
        super().__init__(step_size, theta, gamma, seed)
        self.baseline_step = baseline_step
        self.episode = []

    def update(self, state, action, reward, next_state, terminated):
        self.episode.append((state, action, reward))
        if terminated:
            self.learn(self.episode)
            self.episode = []

    def learn(self, episode):
        g = 0.0
        returns = []
        for _, _, reward in reversed(episode):               # G_t = R_t+1 + gamma G_t+1
            g = reward + self.gamma * g
            returns.append(g)
        step, p = 0.0, self.p_right
        for t, ((state, action, _), g) in enumerate(zip(episode, reversed(returns))):
            advantage = g
            if self.baseline_step is not None:
                advantage = g - self.values[state]
                self.values[state] += self.baseline_step * advantage
            step += self.gamma ** t * advantage * (action - p)     # grad_log_policy(theta, action)
        self.theta += self.step_size * step


class ActorCritic(CorridorPolicy):
    """One-step actor-critic (eq. actor-critic): the TD error of a table of state values
    replaces the return, and both learn at every step."""

    def __init__(self, step_size=2 ** -9, theta=logit(0.05), critic_step=2 ** -4, gamma=1.0, seed=0):
        super().__init__(step_size, theta, gamma, seed)
        self.critic_step = critic_step
        self.discount = 1.0                                   # gamma ** t

    def update(self, state, action, reward, next_state, terminated):
        next_value = 0.0 if terminated else self.values[next_state]
        delta = reward + self.gamma * next_value - self.values[state]
        self.values[state] += self.critic_step * delta
        self.theta += self.step_size * self.discount * delta * (action - self.p_right)   # grad_log_policy
        self.discount = 1.0 if terminated else self.discount * self.gamma


@dataclass
class CorridorRun:
    p_right: np.ndarray     # p(right) after each episode
    returns: np.ndarray     # the return of each episode


def run_corridor(agent, n_episodes):
    """Let ``agent`` play ``n_episodes`` episodes of the short corridor, learning as it goes."""
    env = ShortCorridor()
    p_right, returns = np.zeros(n_episodes), np.zeros(n_episodes)
    for episode in range(n_episodes):
        state, _ = env.reset()
        done, total = False, 0.0
        while not done:
            action = agent.act(state)
            next_state, reward, terminated, truncated, _ = env.step(action)
            agent.update(state, action, reward, next_state, terminated)
            total += reward
            state, done = next_state, terminated or truncated
        p_right[episode], returns[episode] = agent.p_right, total
    return CorridorRun(p_right, returns)


def corridor_gradient_samples(theta, n_episodes, baseline=None, seed=0):
    """One REINFORCE estimate of dJ/dtheta per episode, at a fixed theta:
    sum_t (G_t - b(S_t)) d log pi(A_t)/dtheta, with b = 0 or a table of state values.
    The episodes are played first, then every sum is taken at once."""
    draws, env = uniforms(np.random.default_rng(seed)), ShortCorridor()
    p = sigmoid(theta)
    b = np.zeros(ShortCorridor.n_states) if baseline is None else np.asarray(baseline)
    states, scores, ends = [], [], []       # every step of every episode; score: d log pi(A_t) / d theta
    for episode in range(n_episodes):
        state, _ = env.reset()
        done = False
        while not done:
            action = int(next(draws) < p)
            states.append(state)
            scores.append(action - p)
            state, _, terminated, truncated, _ = env.step(action)
            done = terminated or truncated
        ends.append(len(states))
    ends = np.array(ends)
    starts = np.r_[0, ends[:-1]]
    steps_left = np.repeat(ends, ends - starts) - np.arange(len(states))
    returns = -steps_left.astype(float)                 # -1 per step: G_t = -(steps left)
    terms = (returns - b[states]) * scores
    return np.array([terms[start:end].sum() for start, end in zip(starts, ends)])


# --- CartPole: a policy network and a value network ----------------------------------------

def policy_network(n_observations=4, n_actions=2, hidden_size=32):
    """Observations -> action logits: pi(a | s) = softmax(logits)_a."""
    return nn.Sequential(nn.Linear(n_observations, hidden_size), nn.Tanh(),
                         nn.Linear(hidden_size, n_actions))


def value_network(n_observations=4, hidden_size=32):
    """Observations -> v(s), the baseline."""
    return nn.Sequential(nn.Linear(n_observations, hidden_size), nn.Tanh(),
                         nn.Linear(hidden_size, 1))


class ReinforceAgent:
    """REINFORCE with an optional learned baseline, for a batch of complete episodes.

    ``act`` samples one action per environment (numpy in and out); ``update`` takes the episodes' observations,
    actions, rewards and a mask of the steps that happened (episodes end at different times),
    all of shape (steps, n_envs, ...), and makes one step of Adam on the policy (and one on
    the value network): the loss is -sum_t (G_t - v(S_t)) log pi(A_t | S_t), averaged over
    episodes, whose gradient is the REINFORCE estimate (eq. reinforce-baseline).
    """

    def __init__(self, n_observations=4, n_actions=2, hidden_size=32, lr=1e-2, value_lr=1e-2,
                 gamma=0.99, baseline=True, seed=0, device=None):
        self.device = torch.device(device) if device is not None else get_device()
        torch.manual_seed(seed)
        self.generator = torch.Generator().manual_seed(seed)       # act's races, on the CPU
        self.policy = policy_network(n_observations, n_actions, hidden_size).to(self.device)
        self.value = value_network(n_observations, hidden_size).to(self.device) if baseline else None
        self.optimizer = Adam(self.policy.parameters(), lr=lr)
        if baseline:
            self.value_optimizer = Adam(self.value.parameters(), lr=value_lr)
        self.gamma = gamma
        self.weights = None                  # act's numpy copy of the policy, renewed by update
        self.gumbels, self.used = np.zeros(0), 0     # -log q of the races drawn ahead, and how many were used

    def act(self, observations):
        """One action per row of ``observations`` (a numpy array), drawn from pi(. | s) by the
        exponential race: argmax_a pi(a) / q_a with q_a ~ Exp(1), what ``torch.multinomial``
        does for one sample. In logarithms it is the Gumbel-max trick, argmax_a (logit_a + g_a)
        with g_a = -log q_a: the softmax's normalization is the same for every a.

        Acting is one step of a few carts at a time, where the cost of a call to torch is more
        than its arithmetic: the policy is evaluated in numpy (float64), on a copy of its
        weights, and the races are drawn ahead in blocks (the CPU generator draws them one
        after another, so these are the numbers that drawing them step by step would give)."""
        if self.weights is None:
            first, _, last = self.policy                                  # Linear, Tanh, Linear
            self.weights = [p.detach().cpu().double().numpy() for p in (first.weight, first.bias,
                                                                           last.weight, last.bias)]
        weight_1, bias_1, weight_2, bias_2 = self.weights
        logits = np.tanh(observations @ weight_1.T + bias_1) @ weight_2.T + bias_2
        return (logits + self.races(logits.size).reshape(logits.shape)).argmax(axis=-1)

    def races(self, n):
        """The next ``n`` values of g = -log q, q ~ Exp(1), from the agent's generator."""
        if self.used + n > len(self.gumbels):
            q = torch.empty(max(n, 4096)).exponential_(1, generator=self.generator)
            self.gumbels = np.concatenate([self.gumbels[self.used:], -np.log(q.double().numpy())])
            self.used = 0
        self.used += n
        return self.gumbels[self.used - n:self.used]

    def returns(self, rewards, mask):
        """G_t = R_t+1 + gamma G_t+1 for every step of every episode (0 after its end); the loop
        over time in numpy, whose small operations cost less than torch's."""
        rewards_, mask_ = rewards.cpu().numpy(), mask.cpu().numpy()
        returns, g = np.zeros_like(rewards_), np.zeros_like(rewards_[0])
        for t in reversed(range(len(rewards_))):
            g = (rewards_[t] + self.gamma * g) * mask_[t]
            returns[t] = g
        return torch.as_tensor(returns, device=rewards.device)

    def update(self, observations, actions, rewards, mask):
        returns = self.returns(rewards, mask)
        advantages = returns
        if self.value is not None:
            values = self.value(observations).squeeze(-1)
            advantages = returns - values.detach()
            value_loss = ((returns - values) ** 2 * mask).sum() / mask.sum()
            self.value_optimizer.zero_grad()
            value_loss.backward()
            self.value_optimizer.step()
        log_pi = torch.log_softmax(self.policy(observations), -1).gather(-1, actions[..., None]).squeeze(-1)
        loss = -(advantages * log_pi * mask).sum() / mask.shape[1]
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        self.weights = None                  # act copies the new ones


def play_episodes(agent, envs, seed=None):
    """One complete episode in each of the ``envs`` (gymnasium's vectorized CartPole); returns
    observations, actions, rewards and the mask of real steps, shape (steps, n_envs, ...)."""
    return exhaust(playing(agent, envs, seed))


def playing(agent, envs, seed=None, pause_every=None):
    """``play_episodes`` as a generator that yields every ``pause_every`` steps (for a live
    widget) and returns what ``play_episodes`` returns."""
    obs, _ = envs.reset(seed=seed)
    running = np.ones(envs.num_envs, dtype=bool)
    observations, actions, rewards, mask = [], [], [], []
    while np.count_nonzero(running):                      # .any(), at a third of the cost
        action = agent.act(obs)
        next_obs, reward, terminated, truncated, _ = envs.step(action)
        observations.append(obs)
        actions.append(action)
        rewards.append(reward)
        mask.append(running)
        running = running & ~(terminated | truncated)
        obs = next_obs
        if pause_every and len(rewards) % pause_every == 0:
            yield
    mask = np.stack(mask)
    as_tensor = lambda steps, dtype=torch.float32: torch.as_tensor(steps, dtype=dtype, device=agent.device)
    return (as_tensor(np.stack(observations)), as_tensor(np.stack(actions), torch.int64),
            as_tensor(np.stack(rewards) * mask), as_tensor(mask))


@dataclass
class ReinforceRun:
    returns: np.ndarray      # the return of every episode, in the order they were played
    agent: ReinforceAgent
    solved_at: int           # episodes played when the last-100 average first reached the target (-1: never)
    seconds: float


def solved_at(returns, target, n_envs=8, window=100):
    """Episodes played when the mean return of the last ``window`` episodes, checked after
    every batch of ``n_envs`` as ``train_reinforce`` does, first reached ``target`` (-1: never)."""
    for played in range(n_envs, len(returns) + 1, n_envs):
        if played >= window and np.mean(returns[played - window:played]) >= target:
            return played
    return -1


def train_reinforce(agent, n_episodes=2000, n_envs=8, target=None, seed=0):
    """Batches of ``n_envs`` episodes, one update after each, until ``n_episodes`` episodes or
    until the average return of the last 100 episodes reaches ``target``."""
    import time
    start = time.perf_counter()
    envs = cartpole_vector(n_envs)
    envs.reset(seed=seed)
    returns, solved_at = [], -1
    while len(returns) < n_episodes:
        observations, actions, rewards, mask = play_episodes(agent, envs)
        returns += rewards.sum(0).tolist()
        agent.update(observations, actions, rewards, mask)
        if target is not None and len(returns) >= 100 and np.mean(returns[-100:]) >= target:
            solved_at = len(returns)
            break
    envs.close()
    return ReinforceRun(np.array(returns), agent, solved_at, time.perf_counter() - start)
