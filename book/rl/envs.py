"""The environments of the deep and policy-gradient chapters, and what a random policy scores.

Mountain car and CartPole are gymnasium's (``MountainCar-v0``, ``CartPole-v1``, and CartPole's
vectorized twin, rewritten here as ``CartPoles`` without the checks that cost a third of its
step). Two more additions: Sutton and Barto's short corridor (Example 13.1), with gymnasium's
``reset``/``step`` interface, and mountain car's dynamics for many cars at once, for the one
measurement that gymnasium's one-car loop makes too slow: how long a random policy needs to
reach the goal (tens of thousands of steps). The tests hold both rewrites equal to gymnasium
step by step.
"""
import math

import numpy as np


def mountain_car(max_episode_steps=100_000):
    """Gymnasium's MountainCar-v0 without its 200-step limit, as in Sutton and Barto's figures."""
    import gymnasium as gym
    return gym.make("MountainCar-v0", max_episode_steps=max_episode_steps)


def cartpole():
    """Gymnasium's CartPole-v1: +1 per step while the pole stands, at most 500 steps."""
    import gymnasium as gym
    return gym.make("CartPole-v1")


def cartpole_vector(n_envs):
    """CartPole-v1 for ``n_envs`` carts stepped together by numpy (``CartPoles``, gymnasium's
    vectorized CartPole without its checks).

    It resets an environment on the step *after* its episode ends (autoreset "next step"):
    that step's transition is not a real one, and the training loops skip it.
    """
    return CartPoles(n_envs)


class CartPoles:
    """Gymnasium's ``CartPoleVectorEnv`` (``gym.make_vec("CartPole-v1")``) in a few lines: its
    equations in float64, in its order of operations, its start states drawn from a generator
    seeded as gymnasium seeds it, its "next step" autoreset, its float32 observations. The tests
    hold it equal to gymnasium step by step; it skips gymnasium's check of every action, which
    costs a third of a step."""

    # Gymnasium's constants, as 0-d arrays: numpy multiplies an array by one of them faster than
    # by a Python float, which it converts at every operation (the same numbers either way).
    GRAVITY, MASS_CART, MASS_POLE, HALF_LENGTH, FORCE, TAU = map(np.array, (9.8, 1.0, 0.1, 0.5, 10.0, 0.02))
    TOTAL_MASS, POLEMASS_LENGTH = MASS_POLE + MASS_CART, MASS_POLE * HALF_LENGTH
    X_LIMIT, ANGLE_LIMIT, FOUR_THIRDS = map(np.array, (2.4, 12 * 2 * math.pi / 360, 4.0 / 3.0))
    FORCES = np.array([-FORCE, FORCE])               # gymnasium: sign(a - 0.5) * 10, for a = 0, 1

    def __init__(self, num_envs, max_episode_steps=500):
        self.num_envs, self.max_episode_steps = num_envs, max_episode_steps
        self.rng = None
        self.rewards = np.ones(num_envs, dtype=np.float32)           # +1 per step, copied

    def reset(self, seed=None):
        """``seed``: one for all carts, drawn from one generator as gymnasium's vector env draws
        them, or one per cart: cart k is then gymnasium's CartPole-v1 reset with ``seed[k]``,
        whatever the other carts do."""
        if np.ndim(seed) == 1:
            self.rng = [np.random.default_rng(s) for s in seed]
        elif seed is not None or self.rng is None:
            self.rng = np.random.default_rng(seed)     # gymnasium: Generator(PCG64(SeedSequence(seed)))
        self.state = self.starts(np.ones(self.num_envs, dtype=bool))
        self.steps = np.zeros(self.num_envs, dtype=np.int32)
        self.ended = np.zeros(self.num_envs, dtype=bool)          # reset at the next step
        return self.state.T.astype(np.float32), {}

    def step(self, actions):
        # A step costs a few dozen numpy operations on arrays of num_envs numbers, each one's
        # overhead more than its arithmetic: hence a table for the force, np.array (not np.stack),
        # np.count_nonzero (not .any()) and a copy (not np.ones), the cheapest spellings of the
        # same numbers.
        x, x_dot, theta, theta_dot = self.state
        force = self.FORCES[actions]
        cos, sin = np.cos(theta), np.sin(theta)
        temp = (force + self.POLEMASS_LENGTH * np.square(theta_dot) * sin) / self.TOTAL_MASS
        theta_acc = (self.GRAVITY * sin - cos * temp) / (
            self.HALF_LENGTH * (self.FOUR_THIRDS - self.MASS_POLE * np.square(cos) / self.TOTAL_MASS))
        x_acc = temp - self.POLEMASS_LENGTH * theta_acc * cos / self.TOTAL_MASS
        self.state = self.state + self.TAU * np.array((x_dot, x_acc, theta_dot, theta_acc))  # Euler
        terminated = (np.abs(self.state[0]) > self.X_LIMIT) | (np.abs(self.state[2]) > self.ANGLE_LIMIT)
        self.steps += 1
        truncated = self.steps >= self.max_episode_steps
        reward = self.rewards.copy()
        if np.count_nonzero(self.ended):                # the ended episodes restart instead
            ended = self.ended
            self.state[:, ended] = self.starts(ended)
            self.steps[ended] = 0
            reward[ended], terminated[ended], truncated[ended] = 0.0, False, False
        self.ended = terminated | truncated
        return self.state.T.astype(np.float32), reward, terminated, truncated, {}

    def starts(self, carts):
        """Start states of the carts marked in ``carts``: shape (4, how many)."""
        if isinstance(self.rng, list):
            return np.stack([self.rng[k].uniform(low=-0.05, high=0.05, size=4) for k in np.flatnonzero(carts)], 1)
        return self.rng.uniform(low=-0.05, high=0.05, size=(4, np.count_nonzero(carts)))

    def close(self):
        pass


class ShortCorridor:
    """Sutton and Barto's short corridor with switched actions (Example 13.1).

    States 0, 1, 2 and the goal 3, left to right; every step costs -1. Action 1 ("right")
    moves right and action 0 ("left") moves left, except in state 1 where they are switched;
    left in state 0 stays put. The observation is the state, but the chapter's policy gives
    it no features: to the agent all three states look alike.
    """
    n_actions = 2
    n_states = 3
    NEXT = ((0, 1),          # state 0: left bumps into the wall, right moves right
            (2, 0),          # state 1, the switched state: left moves right, right moves left
            (1, 3))          # state 2: left moves left, right reaches the goal
                             # (the next state for left and right, in a table: a lookup per step)

    def __init__(self, max_episode_steps=10_000):
        self.max_episode_steps = max_episode_steps
        self.state, self.steps = 0, 0

    def reset(self, seed=None):
        self.state, self.steps = 0, 0
        return self.state, {}

    def step(self, action):
        self.state = self.NEXT[self.state][action]
        self.steps += 1
        terminated = self.state == 3
        truncated = self.steps >= self.max_episode_steps and not terminated
        return self.state, -1.0, terminated, truncated, {}


def episode_returns(env, n_episodes, seed=0, policy=None):
    """Returns of ``n_episodes`` episodes on a gymnasium env: of the uniformly random policy,
    or of ``policy`` (a function from observation to action) if given."""
    env.action_space.seed(seed)
    returns = np.zeros(n_episodes)
    for episode in range(n_episodes):
        observation, _ = env.reset(seed=seed + episode)
        done = False
        while not done:
            action = env.action_space.sample() if policy is None else policy(observation)
            observation, reward, terminated, truncated, _ = env.step(action)
            returns[episode] += reward
            done = terminated or truncated
    return returns


def mountain_car_steps(positions, velocities, actions):
    """One step of MountainCar-v0's dynamics for many cars at once (gymnasium's equations, in
    float64 like its internal state); returns the new positions and velocities."""
    velocities = np.minimum(np.maximum(velocities + ((actions - 1) * 0.001 + np.cos(3 * positions) * -0.0025),
                                       -0.07), 0.07)                    # np.clip, without its overhead
    positions = np.minimum(np.maximum(positions + velocities, -1.2), 0.6)
    velocities = np.where((positions == -1.2) & (velocities < 0), 0.0, velocities)
    return positions, velocities


def random_mountain_car_median(n_episodes=101, seed=0, max_steps=200_000):
    """The median episode length of the random policy on mountain car, from gymnasium's start
    states (position uniform in [-0.6, -0.4], velocity 0). The cars run until more than half
    have arrived: the median is then known without waiting for the slowest."""
    rng = np.random.default_rng(seed)
    positions, velocities = rng.uniform(-0.6, -0.4, n_episodes), np.zeros(n_episodes)
    lengths = np.full(n_episodes, np.inf)
    for step in range(1, max_steps + 1):
        if step % 1000 == 1:
            actions = rng.integers(0, 3, (1000, n_episodes))
            if 2 * np.isfinite(lengths).sum() > n_episodes:
                break
        positions, velocities = mountain_car_steps(positions, velocities, actions[step % 1000 - 1])
        arrived = positions >= 0.5
        if arrived.any():
            lengths[arrived & (lengths > step)] = step
    return float(np.median(lengths))
