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
from torch.nn import functional as F

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

class CorridorPolicy:
    """The corridor's policy: right with probability sigmoid(theta), whatever the state, and a
    table of state values for a baseline or a critic."""

    def __init__(self, step_size, theta, gamma, seed):
        self.step_size, self.theta, self.gamma = step_size, theta, gamma
        self.values = np.zeros(ShortCorridor.n_states)
        self.rng = np.random.default_rng(seed)
        self.uniforms = []                  # the generator's next numbers, drawn 4096 at a time

    @property
    def p_right(self):
        return sigmoid(self.theta)

    def act(self, state):
        if not self.uniforms:
            self.uniforms = self.rng.random(4096).tolist()[::-1]    # the same numbers as one by one
        return int(self.uniforms.pop() < self.p_right)


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
        step = 0.0
        for t, ((state, action, _), g) in enumerate(zip(episode, reversed(returns))):
            advantage = g
            if self.baseline_step is not None:
                advantage = g - self.values[state]
                self.values[state] += self.baseline_step * advantage
            step += self.gamma ** t * advantage * grad_log_policy(self.theta, action)
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
        self.theta += self.step_size * self.discount * delta * grad_log_policy(self.theta, action)
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
    sum_t (G_t - b(S_t)) d log pi(A_t)/dtheta, with b = 0 or a table of state values."""
    rng, env = np.random.default_rng(seed), ShortCorridor()
    p = sigmoid(theta)
    b = np.zeros(ShortCorridor.n_states) if baseline is None else np.asarray(baseline)
    samples = np.zeros(n_episodes)
    for episode in range(n_episodes):
        state, _ = env.reset()
        states, scores, done = [], [], False          # score: d log pi(A_t) / d theta
        while not done:
            action = int(rng.random() < p)
            states.append(state)
            scores.append(action - p)
            state, _, terminated, truncated, _ = env.step(action)
            done = terminated or truncated
        returns = -np.arange(len(states), 0, -1.0)    # -1 per step: G_t = -(steps left)
        samples[episode] = np.sum((returns - b[states]) * scores)
    return samples


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

    ``act`` samples one action per environment; ``update`` takes the episodes' observations,
    actions, rewards and a mask of the steps that happened (episodes end at different times),
    all of shape (steps, n_envs, ...), and makes one step of Adam on the policy (and one on
    the value network): the loss is -sum_t (G_t - v(S_t)) log pi(A_t | S_t), averaged over
    episodes, whose gradient is the REINFORCE estimate (eq. reinforce-baseline).
    """

    def __init__(self, n_observations=4, n_actions=2, hidden_size=32, lr=1e-2, value_lr=1e-2,
                 gamma=0.99, baseline=True, seed=0, device=None):
        self.device = torch.device(device) if device is not None else get_device()
        torch.manual_seed(seed)
        self.generator = torch.Generator(device=self.device).manual_seed(seed)
        self.policy = policy_network(n_observations, n_actions, hidden_size).to(self.device)
        self.value = value_network(n_observations, hidden_size).to(self.device) if baseline else None
        self.optimizer = Adam(self.policy.parameters(), lr=lr)
        if baseline:
            self.value_optimizer = Adam(self.value.parameters(), lr=value_lr)
        self.gamma = gamma

    @torch.no_grad()
    def act(self, observations):
        """One action per row, drawn from pi(. | s) by the exponential race: argmax_a pi(a) / q_a
        with q_a ~ Exp(1) (what ``torch.multinomial`` does for one sample, without its checks
        of the probabilities, which cost more than the draw)."""
        first, _, last = self.policy     # Linear, Tanh, Linear, without nn.Module's per-call cost
        hidden = torch.tanh(F.linear(observations, first.weight, first.bias))
        probabilities = torch.softmax(F.linear(hidden, last.weight, last.bias), dim=-1)
        race = torch.empty_like(probabilities).exponential_(1, generator=self.generator)
        return torch.argmax(probabilities / race, dim=-1)

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


def play_episodes(agent, envs, seed=None):
    """One complete episode in each of the ``envs`` (gymnasium's vectorized CartPole); returns
    observations, actions, rewards and the mask of real steps, shape (steps, n_envs, ...)."""
    return exhaust(playing(agent, envs, seed))


def playing(agent, envs, seed=None, pause_every=None):
    """``play_episodes`` as a generator that yields every ``pause_every`` steps (for a live
    widget) and returns what ``play_episodes`` returns."""
    device = agent.device
    obs, _ = envs.reset(seed=seed)
    running = np.ones(envs.num_envs, dtype=bool)
    observations, actions, rewards, mask = [], [], [], []
    while running.any():
        obs = torch.as_tensor(obs, device=device)
        action = agent.act(obs)
        next_obs, reward, terminated, truncated, _ = envs.step(action.cpu().numpy())
        observations.append(obs)
        actions.append(action)
        rewards.append(reward * running)
        mask.append(running.copy())
        running &= ~(terminated | truncated)
        obs = next_obs
        if pause_every and len(rewards) % pause_every == 0:
            yield
    as_tensor = lambda steps: torch.as_tensor(np.stack(steps), dtype=torch.float32, device=device)
    return torch.stack(observations), torch.stack(actions), as_tensor(rewards), as_tensor(mask)


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
