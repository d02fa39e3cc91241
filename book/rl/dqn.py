"""A small deep Q-network (Mnih et al. 2015) on CartPole, and the same agent without its two
ingredients: experience replay and a target network.

Several agents train at once, in lockstep: each has its own network, buffer, target network and
environment, and they share only the arithmetic, and one random generator for the environments'
start states (gymnasium's vectorized CartPole draws every reset from it): an agent's start
states depend on when the others' episodes end, so the same agent trained beside other
companions plays other episodes. ``ParallelLinear`` holds K independent layers
as one tensor, so one matrix product serves K networks (with K = 1 it is ``nn.Linear``). That is
how the page compares four variants over several seeds within its time budget; the algorithm
of each agent is the one-agent algorithm of the page's equation ``dqn-loss``.
"""
import math
import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ..device import get_device
from ..nn.optimizers import Adam, flatten_parameters_   # the training chapter's Adam, written out
from .envs import cartpole_vector


class ParallelLinear(nn.Module):
    """K independent linear layers: input (K, batch, in_features) -> (K, batch, out_features).

    Initialised like ``nn.Linear`` (uniform in +-1/sqrt(in_features)), one copy at a time.
    """

    def __init__(self, n_copies, in_features, out_features):
        super().__init__()
        bound = 1 / math.sqrt(in_features)
        self.weight = nn.Parameter(torch.empty(n_copies, out_features, in_features).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.empty(n_copies, 1, out_features).uniform_(-bound, bound))

    def forward(self, x):
        return torch.baddbmm(self.bias, x, self.weight.transpose(1, 2))


def q_network(n_observations, n_actions, hidden_size=64, n_copies=1):
    """Observations (K, batch, n_observations) -> action values (K, batch, n_actions)."""
    return nn.Sequential(ParallelLinear(n_copies, n_observations, hidden_size), nn.ReLU(),
                         ParallelLinear(n_copies, hidden_size, hidden_size), nn.ReLU(),
                         ParallelLinear(n_copies, hidden_size, n_actions))


def q_values(network, x):
    """``network(x)`` for a ``q_network``, layer by layer without nn.Module's per-call cost (the
    agents call it every step): the same operations, the same numbers."""
    for layer in network:
        x = torch.baddbmm(layer.bias, x, layer.weight.transpose(1, 2)) if isinstance(layer, ParallelLinear) \
            else torch.relu(x)
    return x


class ReplayBuffer:
    """One ring buffer of transitions per agent; ``sample`` draws uniformly from the most recent
    ``capacity[k]`` transitions of agent k. A capacity equal to the batch size is "no replay":
    every update learns from the last few, consecutive, strongly correlated transitions.

    A transition is one row: state, action, reward, next state, terminated (1 or 0).
    """

    def __init__(self, n_agents, n_observations, capacity, device=None):
        self.capacity = np.broadcast_to(capacity, (n_agents,)).astype(np.int64)
        self.max_size = int(self.capacity.max())
        self.n_observations, self.device = n_observations, device
        self.rows = torch.zeros(n_agents, self.max_size, 2 * n_observations + 3, device=device)
        self.position = np.zeros(n_agents, dtype=np.int64)          # next slot to write
        self.size = np.zeros(n_agents, dtype=np.int64)              # transitions held
        self.agents = torch.arange(n_agents, device=device)[:, None]

    def push(self, agents, states, actions, rewards, next_states, terminated):
        """Store one transition for each agent listed in ``agents`` (the others have none)."""
        row = torch.cat([states, actions[:, None], rewards[:, None], next_states, terminated[:, None]], 1)
        self.push_rows(np.asarray(torch.as_tensor(agents).cpu()), row)

    def push_rows(self, agents, rows):
        """``push`` for transitions already laid out as rows, ``agents`` a numpy array (the
        bookkeeping is numpy's: cheaper than torch's for a dozen numbers)."""
        slots = self.position[agents] % self.max_size
        self.rows[torch.as_tensor(agents, device=self.device), torch.as_tensor(slots, device=self.device)] = rows
        self.position[agents] += 1
        self.size[agents] = np.minimum(self.size[agents] + 1, self.capacity[agents])

    def sample(self, batch_size, generator=None):
        """(states, actions, rewards, next_states, terminated) for every agent, each of shape
        (n_agents, batch_size, ...)."""
        n_agents, n = len(self.size), self.n_observations
        size, position = (torch.as_tensor(a, device=self.device)[:, None] for a in (self.size, self.position))
        uniform = torch.rand(n_agents, batch_size, generator=generator).to(self.device)
        age = (uniform * size).long()                                # 0 = the newest transition
        slot = (position - 1 - age) % self.max_size
        batch = self.rows[self.agents, slot]
        states, actions, rewards, next_states, terminated = batch.split([n, 1, 1, n, 1], dim=-1)
        return states, actions.squeeze(-1).long(), rewards.squeeze(-1), next_states, terminated.squeeze(-1)


class DQN:
    """Deep Q-learning for ``n_agents`` independent agents.

    ``replay_capacity`` and ``target_period`` may differ between agents (one value each):
    a capacity of ``batch_size`` removes replay, a target period of 1 removes the target network
    (the target is then computed by the network being trained). Exploration is epsilon-greedy,
    epsilon falling linearly from 1 to ``epsilon_end`` over ``epsilon_steps`` environment steps.
    Learning starts after ``learning_starts`` steps; the target period counts gradient steps.
    """

    def __init__(self, n_observations, n_actions, n_agents=1, hidden_size=32, lr=2e-3, gamma=0.99,
                 batch_size=32, replay_capacity=10_000, target_period=50, epsilon_end=0.05,
                 epsilon_steps=2_000, learning_starts=500, seed=0, device=None):
        self.device = torch.device(device) if device is not None else get_device()
        torch.manual_seed(seed)
        self.generator = torch.Generator().manual_seed(seed)
        self.n_agents, self.n_actions, self.gamma, self.batch_size = n_agents, n_actions, gamma, batch_size
        self.epsilon_end, self.epsilon_steps, self.learning_starts = epsilon_end, epsilon_steps, learning_starts
        self.q = q_network(n_observations, n_actions, hidden_size, n_agents).to(self.device)
        self.target = q_network(n_observations, n_actions, hidden_size, n_agents).to(self.device)
        self.target.load_state_dict(self.q.state_dict())
        # each network's parameters as views of one flat tensor: one optimizer step, and one
        # copy into the target, serve them all
        self.parameters = list(self.q.parameters())
        self.weights, self.flat_grad = flatten_parameters_(self.parameters)
        self.target_weights, _ = flatten_parameters_(list(self.target.parameters()))
        self.agent_of_weight = torch.cat([torch.arange(n_agents, device=self.device).repeat_interleave(p[0].numel())
                                          for p in self.parameters])
        self.due_weights = {}
        self.optimizer = Adam([self.weights], lr=lr)                  # one step for all parameters
        self.buffer = ReplayBuffer(n_agents, n_observations, replay_capacity, self.device)
        self.target_period = np.broadcast_to(target_period, (n_agents,)).copy()
        self.steps, self.updates = 0, 0                                # environment steps, gradient steps
        self.value_estimates = []                                      # mean max_a' q per update

    @property
    def epsilon(self):
        return max(self.epsilon_end, 1 - (1 - self.epsilon_end) * self.steps / self.epsilon_steps)

    @torch.no_grad()
    def act(self, observations):
        """One action per agent (observations: (n_agents, n_observations))."""
        self.steps += 1
        greedy = q_values(self.q, observations[:, None, :]).squeeze(1).argmax(-1)
        explore = torch.rand(self.n_agents, generator=self.generator).to(self.device) < self.epsilon
        random = torch.randint(self.n_actions, (self.n_agents,), generator=self.generator).to(self.device)
        return torch.where(explore, random, greedy)

    def update(self):
        """One gradient step of every agent on a batch from its buffer; the loss of each."""
        if self.steps < self.learning_starts:
            return None
        self.updates += 1
        states, actions, rewards, next_states, terminated = self.buffer.sample(self.batch_size, self.generator)
        with torch.no_grad():                                          # y = r + gamma max_a' q_target
            next_q = q_values(self.target, next_states).max(-1).values
            target = rewards + self.gamma * (1 - terminated) * next_q
            self.value_estimates.append(next_q.mean(-1).cpu())         # the size of the values, per agent
        q = q_values(self.q, states).gather(-1, actions[..., None]).squeeze(-1)
        loss = F.smooth_l1_loss(q, target, reduction="none").mean(-1)   # Huber, per agent
        self.flat_grad.zero_()
        loss.sum().backward()                                          # agents' losses are independent
        self.optimizer.step([self.flat_grad])
        self.sync_targets()
        return loss.detach()

    @torch.no_grad()
    def sync_targets(self):
        """Copy the online weights into the target network of the agents whose period is up."""
        due = self.updates % self.target_period == 0
        if due.any():
            key = due.tobytes()
            if key not in self.due_weights:                            # the weights of these agents
                self.due_weights[key] = torch.as_tensor(due, device=self.device)[self.agent_of_weight]
            self.target_weights.copy_(torch.where(self.due_weights[key], self.weights, self.target_weights))


class DQNRun:
    """Every agent of ``agent`` playing its own CartPole-v1: ``advance(n)`` plays n environment
    steps, with one gradient step every ``train_every`` steps (Mnih et al. took 4). The returns
    of finished episodes and the step at which each ended are kept per agent."""

    def __init__(self, agent, seed=0, train_every=2):
        self.agent, self.train_every = agent, train_every
        self.envs = cartpole_vector(agent.n_agents)
        self.observations, _ = self.envs.reset(seed=seed)          # numpy, as the carts give them
        self.episode_returns = [[] for _ in range(agent.n_agents)]
        self.episode_ends = [[] for _ in range(agent.n_agents)]
        self.running = np.zeros(agent.n_agents)               # return of each current episode
        self.resetting = np.zeros(agent.n_agents, dtype=bool)  # the last step reset these
        self.n_steps = 0

    def advance(self, n_steps):
        agent, device, obs = self.agent, self.agent.device, self.observations
        for _ in range(n_steps):
            self.n_steps += 1
            actions = agent.act(torch.as_tensor(obs, device=device)).cpu().numpy()
            next_obs, rewards, terminated, truncated, _ = self.envs.step(actions)
            real = np.flatnonzero(~self.resetting)                    # not a reset
            rows = np.concatenate([obs, actions[:, None], rewards[:, None], next_obs,
                                   terminated[:, None]], axis=1, dtype=np.float32)[real]
            agent.buffer.push_rows(real, torch.as_tensor(rows, device=device))
            if self.n_steps % self.train_every == 0:
                agent.update()
            self.running += rewards
            done = terminated | truncated
            for k in np.flatnonzero(done):
                self.episode_returns[k].append(self.running[k])
                self.episode_ends[k].append(self.n_steps)
            self.running[done] = 0
            self.resetting = done
            obs = next_obs
        self.observations = obs

    def value_curve(self):
        """Mean of max_a' q_target(s', a') over each update's batch, per agent: shape
        (n_updates, n_agents). Returns of at most 1 per step bound the true values by
        1 / (1 - gamma)."""
        return torch.stack(self.agent.value_estimates).numpy()

    def return_curve(self, window=500):
        """Mean return of the episodes that ended in each window of steps, per agent
        (carried forward through windows where none ended): shape (n_agents, n_windows)."""
        edges = np.arange(window, self.n_steps + 1, window)
        curves = np.zeros((len(self.episode_returns), len(edges)))
        for k, (returns, ends) in enumerate(zip(self.episode_returns, self.episode_ends)):
            returns, ends, last = np.asarray(returns), np.asarray(ends), np.nan
            for i, edge in enumerate(edges):
                inside = (ends > edge - window) & (ends <= edge)
                last = returns[inside].mean() if inside.any() else last
                curves[k, i] = last
        return edges, curves


def train_dqn(agent, n_steps, seed=0, train_every=2):
    """Run every agent of ``agent`` on its own CartPole-v1 for ``n_steps`` steps (``DQNRun``)."""
    run = DQNRun(agent, seed, train_every)
    run.advance(n_steps)
    run.envs.close()
    return run
