"""Common mistakes in the bandits exercise, each caught by a visible test."""

MISTAKES = {
    'ε-greedy breaking ties with np.argmax': ('bandits-epsilon', """
def epsilon_greedy_action(Q, epsilon, rng):
    Q = np.asarray(Q, dtype=float)
    if rng.random() < epsilon:
        return int(rng.integers(len(Q)))
    return int(np.argmax(Q))
""", 'bandits-epsilon-test'),
    'ε-greedy exploring only the arms that are not greedy': ('bandits-epsilon', """
def epsilon_greedy_action(Q, epsilon, rng):
    Q = np.asarray(Q, dtype=float)
    best = np.flatnonzero(Q == Q.max())
    if rng.random() < epsilon:
        return int(rng.choice(np.flatnonzero(Q < Q.max())))
    return int(rng.choice(best))
""", 'bandits-epsilon-test'),
    'ε-greedy exploring with probability 1 - ε': ('bandits-epsilon', """
def epsilon_greedy_action(Q, epsilon, rng):
    Q = np.asarray(Q, dtype=float)
    if rng.random() > epsilon:
        return int(rng.integers(len(Q)))
    return int(rng.choice(np.flatnonzero(Q == Q.max())))
""", 'bandits-epsilon-test'),
    'a UCB bonus with the base-10 logarithm': ('bandits-ucb', """
def ucb_action(Q, N, t, c):
    Q, N = np.asarray(Q, dtype=float), np.asarray(N, dtype=float)
    untried = np.flatnonzero(N == 0)
    if len(untried):
        return int(untried[0])
    return int(np.argmax(Q + c * np.sqrt(np.log10(t) / N)))
""", 'bandits-ucb-test'),
    'a UCB bonus without the square root': ('bandits-ucb', """
def ucb_action(Q, N, t, c):
    Q, N = np.asarray(Q, dtype=float), np.asarray(N, dtype=float)
    untried = np.flatnonzero(N == 0)
    if len(untried):
        return int(untried[0])
    return int(np.argmax(Q + c * np.log(t) / N))
""", 'bandits-ucb-test'),
    'a UCB bonus that grows with the pulls': ('bandits-ucb', """
def ucb_action(Q, N, t, c):
    Q, N = np.asarray(Q, dtype=float), np.asarray(N, dtype=float)
    untried = np.flatnonzero(N == 0)
    if len(untried):
        return int(untried[0])
    return int(np.argmax(Q + c * np.sqrt(N * np.log(t))))
""", 'bandits-ucb-test'),
    'a bandit loop counting the steps from 0': ('bandits-run', """
def run_bandit(q_star, n_steps, choose, rng):
    q_star = np.asarray(q_star, dtype=float)
    Q, N = np.zeros(len(q_star)), np.zeros(len(q_star), dtype=int)
    actions, rewards = np.zeros(n_steps, dtype=int), np.zeros(n_steps)
    for t in range(n_steps):
        a = int(choose(Q.copy(), N.copy(), t, rng))
        r = rng.normal(q_star[a], 1.0)
        N[a] += 1
        Q[a] += (r - Q[a]) / N[a]
        actions[t], rewards[t] = a, r
    return actions, rewards, Q, N
""", 'bandits-run-test'),
    "an incremental mean divided by the step count, not the arm's count": ('bandits-run', """
def run_bandit(q_star, n_steps, choose, rng):
    q_star = np.asarray(q_star, dtype=float)
    Q, N = np.zeros(len(q_star)), np.zeros(len(q_star), dtype=int)
    actions, rewards = np.zeros(n_steps, dtype=int), np.zeros(n_steps)
    for t in range(1, n_steps + 1):
        a = int(choose(Q.copy(), N.copy(), t, rng))
        r = rng.normal(q_star[a], 1.0)
        N[a] += 1
        Q[a] += (r - Q[a]) / t
        actions[t - 1], rewards[t - 1] = a, r
    return actions, rewards, Q, N
""", 'bandits-run-test'),
    'estimates kept in an integer array': ('bandits-run', """
def run_bandit(q_star, n_steps, choose, rng):
    q_star = np.asarray(q_star, dtype=float)
    Q, N = np.zeros((2, len(q_star)), dtype=int)
    actions, rewards = np.zeros(n_steps, dtype=int), np.zeros(n_steps)
    for t in range(1, n_steps + 1):
        a = int(choose(Q.copy(), N.copy(), t, rng))
        r = rng.normal(q_star[a], 1.0)
        N[a] += 1
        Q[a] += (r - Q[a]) / N[a]
        actions[t - 1], rewards[t - 1] = a, r
    return actions, rewards, Q, N
""", 'bandits-run-test'),
    'rewards drawn uniformly from [q*(a), q*(a) + 1)': ('bandits-run', """
def run_bandit(q_star, n_steps, choose, rng):
    q_star = np.asarray(q_star, dtype=float)
    Q, N = np.zeros(len(q_star)), np.zeros(len(q_star), dtype=int)
    actions, rewards = np.zeros(n_steps, dtype=int), np.zeros(n_steps)
    for t in range(1, n_steps + 1):
        a = int(choose(Q.copy(), N.copy(), t, rng))
        r = q_star[a] + rng.random()
        N[a] += 1
        Q[a] += (r - Q[a]) / N[a]
        actions[t - 1], rewards[t - 1] = a, r
    return actions, rewards, Q, N
""", 'bandits-run-test'),
}
