"""The environments of the deep and policy-gradient chapters, and what a random policy scores.

Mountain car and CartPole are gymnasium's (``MountainCar-v0``, ``CartPole-v1``, and CartPole's
vectorized twin). Two small additions live here: Sutton and Barto's short corridor (Example
13.1), with gymnasium's ``reset``/``step`` interface, and mountain car's dynamics for many cars
at once, for the one measurement that gymnasium's one-car loop makes too slow: how long a
random policy needs to reach the goal (tens of thousands of steps).
"""
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
    """Gymnasium's vectorized CartPole-v1: ``n_envs`` carts stepped together by numpy.

    It resets an environment on the step *after* its episode ends (autoreset "next step"):
    that step's transition is not a real one, and the training loops skip it.
    """
    import gymnasium as gym
    return gym.make_vec("CartPole-v1", num_envs=n_envs, vectorization_mode="vector_entry_point")


class ShortCorridor:
    """Sutton and Barto's short corridor with switched actions (Example 13.1).

    States 0, 1, 2 and the goal 3, left to right; every step costs -1. Action 1 ("right")
    moves right and action 0 ("left") moves left, except in state 1 where they are switched;
    left in state 0 stays put. The observation is the state, but the chapter's policy gives
    it no features: to the agent all three states look alike.
    """
    n_actions = 2
    n_states = 3

    def __init__(self, max_episode_steps=10_000):
        self.max_episode_steps = max_episode_steps
        self.state, self.steps = 0, 0

    def reset(self, seed=None):
        self.state, self.steps = 0, 0
        return self.state, {}

    def step(self, action):
        move = 1 if action == 1 else -1
        if self.state == 1:
            move = -move                                   # the switched state
        self.state = max(0, self.state + move)
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
    velocities = np.clip(velocities + ((actions - 1) * 0.001 + np.cos(3 * positions) * -0.0025), -0.07, 0.07)
    positions = np.clip(positions + velocities, -1.2, 0.6)
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
        lengths[(positions >= 0.5) & (lengths > step)] = step
    return float(np.median(lengths))
