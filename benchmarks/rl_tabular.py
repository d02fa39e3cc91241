"""Environment steps per second of the tabular reinforcement-learning code (book/rl), against a
plain per-step Python loop, measured in one run.

    python benchmarks/rl_tabular.py            # under a minute on a 2-core CPU
    python benchmarks/rl_tabular.py --quick    # a few seconds, smaller runs

Three workloads, each done two or three ways:

  bandit      epsilon-greedy (0.1) on the 10-armed testbed: book.rl.bandits (all runs in one
              array) against one run at a time, a Python loop over a NumPy testbed
  cliff       Q-learning (alpha 0.5, epsilon 0.1) on the cliff: book.rl.td.train (all runs in
              lockstep) against gymnasium's CliffWalking-v1 stepped one action at a time, and
              against the same loop over book.rl.td.CliffWalking (no gymnasium overhead)
  frozen lake TD(0) prediction of the random policy on gymnasium's FrozenLake-v1 (slippery):
              book.rl.td.td0 on the same dynamics read into arrays, against a per-step loop
              over gymnasium

A step is one environment transition of one run; the vectorized code counts every run's step.
"""
import argparse
import time

import numpy as np

from book.rl import bandits, mdp, td


def timed(function):
    start = time.perf_counter()
    steps = function()
    return steps, time.perf_counter() - start


# --- bandit ---------------------------------------------------------------------------------

def bandit_vectorized(runs, steps):
    bandits.run(bandits.EpsilonGreedy(10, runs, epsilon=0.1), bandits.Testbed(10, runs, seed=0), steps)
    return runs * steps


def bandit_loop(runs, steps):
    rng = np.random.default_rng(0)
    for _ in range(runs):
        q_star = rng.normal(size=10)
        Q, N = np.zeros(10), np.zeros(10)
        for _ in range(steps):
            if rng.random() < 0.1:
                a = int(rng.integers(10))
            else:
                a = int(rng.choice(np.flatnonzero(Q == Q.max())))
            r = q_star[a] + rng.standard_normal()
            N[a] += 1
            Q[a] += (r - Q[a]) / N[a]
    return runs * steps


# --- cliff ----------------------------------------------------------------------------------

def cliff_vectorized(runs, episodes):
    cliff = td.CliffWalking()
    agent = td.TabularAgent(cliff.n_states, cliff.n_actions, "q_learning", n_runs=runs, seed=0)
    return int(td.train(cliff, agent, n_episodes=episodes).lengths.sum())


def q_learning_loop(env, n_states, episodes, seed=0):
    """Textbook Q-learning, one step at a time, over any gymnasium-style environment."""
    rng = np.random.default_rng(seed)
    Q = np.zeros((n_states, 4))
    steps = 0
    for episode in range(episodes):
        state, _ = env.reset(seed=seed if episode == 0 else None)
        done = False
        while not done:
            if rng.random() < 0.1:
                action = int(rng.integers(4))
            else:
                action = int(rng.choice(np.flatnonzero(Q[state] == Q[state].max())))
            next_state, reward, terminated, truncated, _ = env.step(action)
            target = reward if terminated else reward + Q[next_state].max()
            Q[state, action] += 0.5 * (target - Q[state, action])
            state, done, steps = next_state, terminated or truncated, steps + 1
    return steps


def cliff_gymnasium(runs, episodes):
    import gymnasium as gym
    env = gym.make("CliffWalking-v1")
    return sum(q_learning_loop(env, 48, episodes, seed=run) for run in range(runs))


def cliff_own_loop(runs, episodes):
    return sum(q_learning_loop(td.CliffWalking(), 48, episodes, seed=run) for run in range(runs))


# --- frozen lake ----------------------------------------------------------------------------

def frozen_lake_mdp():
    """gymnasium's FrozenLake-v1 transition table read into book.rl.mdp's arrays."""
    import gymnasium as gym
    table = gym.make("FrozenLake-v1").unwrapped.P
    n = len(table)
    P, R, terminal = np.zeros((n, 4, n)), np.zeros((n, 4)), np.zeros(n, dtype=bool)
    for s, actions in table.items():
        for a, outcomes in actions.items():
            for p, s2, r, done in outcomes:
                P[s, a, s2] += p
                R[s, a] += p * r
                terminal[s2] |= bool(done)
    return mdp.MDP(P, R, 1.0, terminal, (4, 4))


def lake_vectorized(runs, steps):
    lake = frozen_lake_mdp()
    policy = mdp.uniform_policy(lake)
    td.td0(lake, policy, mdp.exact_value(lake, policy), n_runs=runs, n_steps=steps, step_size=0.05,
           record_every=steps)
    return runs * steps


def lake_gymnasium(runs, steps):
    import gymnasium as gym
    env = gym.make("FrozenLake-v1")
    rng = np.random.default_rng(0)
    for run in range(runs):
        V = np.zeros(16)
        state, _ = env.reset(seed=run)
        for _ in range(steps):
            next_state, reward, terminated, truncated, _ = env.step(int(rng.integers(4)))
            target = reward + (0.0 if terminated else V[next_state])
            V[state] += 0.05 * (target - V[state])
            state = next_state
            if terminated or truncated:
                state, _ = env.reset()
    return runs * steps


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller runs (a few seconds)")
    quick = parser.parse_args().quick
    scale = 0.1 if quick else 1.0
    n = lambda value: max(1, int(value * scale))
    rows = [
        ("bandit", "book.rl.bandits, 2000 runs at once", lambda: bandit_vectorized(2000, n(1000))),
        ("bandit", "Python loop, one run at a time", lambda: bandit_loop(n(20), 1000)),
        ("cliff", "book.rl.td.train, 200 runs at once", lambda: cliff_vectorized(200, n(500))),
        ("cliff", "Python loop over CliffWalking-v1", lambda: cliff_gymnasium(n(20), 500)),
        ("cliff", "Python loop over td.CliffWalking", lambda: cliff_own_loop(n(20), 500)),
        ("frozen lake", "book.rl.td.td0, 200 runs at once", lambda: lake_vectorized(200, n(5000))),
        ("frozen lake", "Python loop over FrozenLake-v1", lambda: lake_gymnasium(n(10), 5000)),
    ]
    results = []
    for workload, how, job in rows:
        steps, seconds = timed(job)
        results.append((workload, how, steps, seconds, steps / seconds))
    loop_rate = {}
    for workload, how, _, _, rate in results:
        if "loop" in how:
            loop_rate.setdefault(workload, rate)
    print(f"{'workload':12s} {'how':38s} {'env steps':>10s} {'seconds':>8s} {'steps/s':>11s} {'vs loop':>8s}")
    for workload, how, steps, seconds, rate in results:
        print(f"{workload:12s} {how:38s} {steps:10d} {seconds:8.2f} {rate:11,.0f} "
              f"{rate / loop_rate[workload]:7.1f}x")
    print("vs loop: steps per second relative to the first Python loop of the same workload "
          "(for the cliff and the lake, the loop over gymnasium).")


if __name__ == "__main__":
    main()
