"""A small deep Q-network (Mnih et al. 2015) on CartPole, and the same agent without its two
ingredients: experience replay and a target network.

Several agents train at once, in lockstep: each has its own network, buffer, target network,
environment and seed, and they share only the arithmetic. ``ParallelLinear`` holds K
independent layers as one tensor, so one matrix product serves K networks (with K = 1 it is
``nn.Linear``). Every random number an agent uses (its initial weights, its exploration, its
batches, its cart's start states) comes from generators of its own seed, so an agent trained
beside others is the agent trained alone: the page's comparison of four variants over several
seeds is a dozen one-agent runs, within its time budget. The algorithm of each agent is the
one-agent algorithm of the page's equation ``dqn-loss``.
"""
import copy

import numpy as np
import torch
from torch.nn import functional as F

from ..device import get_device
from ..nn.optimizers import Adam, flatten_parameters_   # the training chapter's Adam, written out
from ..nn.parallel import ParallelLinear, parallel_mlp
from .envs import cartpole_vector


def q_network(n_observations, n_actions, hidden_size=64, n_copies=1, generators=None):
    """Observations (K, batch, n_observations) -> action values (K, batch, n_actions)."""
    return parallel_mlp(n_copies, (n_observations, hidden_size, hidden_size, n_actions), generators)


def greedy_numpy(layers, observations):
    """argmax_a of a ``q_network`` given as numpy (weight^T, bias) pairs, for (K, n_observations)
    observations: the same products as ``q_values``, without torch's per-call cost."""
    x = observations[:, None, :]
    for i, (weight_t, bias) in enumerate(layers):
        x = x @ weight_t + bias
        if i < len(layers) - 1:
            x = np.maximum(x, 0)
    return x[:, 0].argmax(-1)


class Uniforms:
    """``width`` uniforms in [0, 1) per agent per call, agent k's from ``generators[k]`` alone
    (so they do not depend on its companions), drawn ``block`` calls at a time: the numbers that
    one call at a time would give, for a fraction of the cost."""

    def __init__(self, generators, width, block=512):
        self.generators, self.width, self.block = generators, width, block
        self.used = block

    def __call__(self):
        if self.used == self.block:
            self.values = np.stack([g.random((self.block, self.width)) for g in self.generators], axis=1)
            self.used = 0
        self.used += 1
        return self.values[self.used - 1]


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

    def sample(self, uniforms):
        """A batch for every agent, drawn by ``uniforms`` (n_agents, batch_size) in [0, 1):
        (states, actions, rewards, next_states, terminated), each (n_agents, batch_size, ...)."""
        n = self.n_observations
        age = (uniforms * self.size[:, None]).astype(np.int64)       # 0 = the newest transition
        slot = (self.position[:, None] - 1 - age) % self.max_size
        batch = self.rows[self.agents, torch.as_tensor(slot, device=self.device)]
        states, actions, rewards, next_states, terminated = batch.split([n, 1, 1, n, 1], dim=-1)
        return states, actions.squeeze(-1).long(), rewards.squeeze(-1), next_states, terminated.squeeze(-1)


class DQN:
    """Deep Q-learning for ``n_agents`` independent agents.

    ``replay_capacity`` and ``target_period`` may differ between agents (one value each):
    a capacity of ``batch_size`` removes replay, a target period of 1 removes the target network
    (the target is then computed by the network being trained). Exploration is epsilon-greedy,
    epsilon falling linearly from 1 to ``epsilon_end`` over ``epsilon_steps`` environment steps.
    Learning starts after ``learning_starts`` steps; the target period counts gradient steps.
    ``seed``: one per agent, or one for all (agents of the same seed and settings then learn
    the same; variants of one seed start from the same weights and the same start states).
    """

    def __init__(self, n_observations, n_actions, n_agents=1, hidden_size=32, lr=2e-3, gamma=0.99,
                 batch_size=32, replay_capacity=10_000, target_period=50, epsilon_end=0.05,
                 epsilon_steps=2_000, learning_starts=500, seed=0, device=None):
        self.device = torch.device(device) if device is not None else get_device()
        self.seeds = [int(s) for s in np.broadcast_to(seed, (n_agents,))]
        self.n_agents, self.n_actions, self.gamma, self.batch_size = n_agents, n_actions, gamma, batch_size
        self.epsilon_end, self.epsilon_steps, self.learning_starts = epsilon_end, epsilon_steps, learning_starts
        weights = [torch.Generator().manual_seed(s) for s in self.seeds]
        streams = [np.random.SeedSequence(s).spawn(2) for s in self.seeds]   # the cart has the seed itself
        self.exploring = Uniforms([np.random.default_rng(s[0]) for s in streams], width=2)   # explore? which?
        self.sampling = Uniforms([np.random.default_rng(s[1]) for s in streams], width=batch_size)
        self.q = q_network(n_observations, n_actions, hidden_size, n_agents, weights).to(self.device)
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
        # on the CPU, acting reads the weights through numpy views of the same memory
        self.numpy_layers = [(layer.weight.detach().numpy().transpose(0, 2, 1), layer.bias.detach().numpy())
                             for layer in self.q if isinstance(layer, ParallelLinear)] \
            if self.device.type == "cpu" else None
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
        """One action per agent, numpy in and out (observations: (n_agents, n_observations))."""
        self.steps += 1
        if self.numpy_layers:
            greedy = greedy_numpy(self.numpy_layers, observations)
        else:
            x = torch.as_tensor(observations, device=self.device)[:, None, :]
            greedy = q_values(self.q, x).squeeze(1).argmax(-1).cpu().numpy()
        coin, pick = self.exploring().T
        return np.where(coin < self.epsilon, (pick * self.n_actions).astype(np.int64), greedy)

    def update(self):
        """One gradient step of every agent on a batch from its buffer; the loss of each."""
        if self.steps < self.learning_starts:
            return None
        self.updates += 1
        states, actions, rewards, next_states, terminated = self.buffer.sample(self.sampling())
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
    """Every agent of ``agent`` playing its own CartPole-v1, seeded with the agent's seed:
    ``advance(n)`` plays n environment steps, with one gradient step every ``train_every`` steps
    (Mnih et al. took 4). The returns of finished episodes and the step at which each ended are
    kept per agent."""

    def __init__(self, agent, train_every=4):
        self.agent, self.train_every = agent, train_every
        self.envs = cartpole_vector(agent.n_agents)
        self.observations, _ = self.envs.reset(seed=agent.seeds)   # numpy, as the carts give them
        self.episode_returns = [[] for _ in range(agent.n_agents)]
        self.episode_ends = [[] for _ in range(agent.n_agents)]
        self.running = np.zeros(agent.n_agents)               # return of each current episode
        self.resetting = np.zeros(agent.n_agents, dtype=bool)  # the last step reset these
        self.n_steps = 0

    def advance(self, n_steps):
        agent, device, obs = self.agent, self.agent.device, self.observations
        for _ in range(n_steps):
            self.n_steps += 1
            actions = agent.act(obs)
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

    def select(self, agents):
        """The run of the listed agents alone: what training only them would have given (their
        random numbers are their own), read from this run."""
        agents = list(agents)
        part, part.agent = copy.copy(self), copy.copy(self.agent)
        part.agent.n_agents, part.agent.seeds = len(agents), [self.agent.seeds[k] for k in agents]
        part.agent.value_estimates = [values[agents] for values in self.agent.value_estimates]
        for name in ("episode_returns", "episode_ends"):
            setattr(part, name, [getattr(self, name)[k] for k in agents])
        part.observations, part.running = self.observations[agents], self.running[agents]
        return part

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


def train_dqn(agent, n_steps, train_every=4):
    """Run every agent of ``agent`` on its own CartPole-v1 for ``n_steps`` steps (``DQNRun``)."""
    run = DQNRun(agent, train_every)
    run.advance(n_steps)
    run.envs.close()
    return run
