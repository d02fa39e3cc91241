"""Common mistakes in the q_learning exercise, each caught by a visible test."""

MISTAKES = {
    'a Q-learning target that bootstraps past the end of the episode': ('qlearn-update', """
def q_learning_update(Q, state, action, reward, next_state, terminated, alpha, gamma):
    target = reward + gamma * np.max(Q[next_state])
    Q[state, action] += alpha * (target - Q[state, action])
    return Q
""", 'qlearn-update-test'),
    'a Q-learning target from the largest value of the whole table': ('qlearn-update', """
def q_learning_update(Q, state, action, reward, next_state, terminated, alpha, gamma):
    target = reward if terminated else reward + gamma * np.max(Q)
    Q[state, action] += alpha * (target - Q[state, action])
    return Q
""", 'qlearn-update-test'),
    'a Q-learning target from the same action in the next state': ('qlearn-update', """
def q_learning_update(Q, state, action, reward, next_state, terminated, alpha, gamma):
    target = reward if terminated else reward + gamma * Q[next_state, action]
    Q[state, action] += alpha * (target - Q[state, action])
    return Q
""", 'qlearn-update-test'),
    'a Q-learning update that replaces Q(s, a) by the step': ('qlearn-update', """
def q_learning_update(Q, state, action, reward, next_state, terminated, alpha, gamma):
    target = reward if terminated else reward + gamma * np.max(Q[next_state])
    Q[state, action] = alpha * (target - Q[state, action])
    return Q
""", 'qlearn-update-test'),
    'a Q-learning update on a copy of the table': ('qlearn-update', """
def q_learning_update(Q, state, action, reward, next_state, terminated, alpha, gamma):
    Q = Q.copy()
    target = reward if terminated else reward + gamma * np.max(Q[next_state])
    Q[state, action] += alpha * (target - Q[state, action])
    return Q
""", 'qlearn-update-test'),
    'Q-learning training whose returns run on across episodes': ('qlearn-train', """
def q_learning(env, n_episodes, alpha=0.5, epsilon=0.1, gamma=1.0, seed=0):
    rng = np.random.default_rng(seed)
    Q = np.zeros((env.n_states, env.n_actions))
    returns, total = [], 0.0
    for _ in range(n_episodes):
        state, _ = env.reset()
        done = False
        while not done:
            if rng.random() < epsilon:
                action = int(rng.integers(env.n_actions))
            else:
                action = int(rng.choice(np.flatnonzero(Q[state] == Q[state].max())))
            next_state, reward, terminated, truncated, _ = env.step(action)
            q_learning_update(Q, state, action, reward, next_state, terminated, alpha, gamma)
            total += reward
            state, done = next_state, terminated or truncated
        returns.append(total)
    return Q, np.array(returns)
""", 'qlearn-train-test'),
    'Q-learning training breaking ties with np.argmax': ('qlearn-train', """
def q_learning(env, n_episodes, alpha=0.5, epsilon=0.1, gamma=1.0, seed=0):
    rng = np.random.default_rng(seed)
    Q = np.zeros((env.n_states, env.n_actions))
    returns = []
    for _ in range(n_episodes):
        state, _ = env.reset()
        total, done = 0.0, False
        while not done:
            if rng.random() < epsilon:
                action = int(rng.integers(env.n_actions))
            else:
                action = int(np.argmax(Q[state]))
            next_state, reward, terminated, truncated, _ = env.step(action)
            q_learning_update(Q, state, action, reward, next_state, terminated, alpha, gamma)
            total += reward
            state, done = next_state, terminated or truncated
        returns.append(total)
    return Q, np.array(returns)
""", 'qlearn-train-test'),
    'Q-learning training that resets the environment only once': ('qlearn-train', """
def q_learning(env, n_episodes, alpha=0.5, epsilon=0.1, gamma=1.0, seed=0):
    rng = np.random.default_rng(seed)
    Q = np.zeros((env.n_states, env.n_actions))
    returns = []
    state, _ = env.reset()
    for _ in range(n_episodes):
        total, done = 0.0, False
        while not done:
            if rng.random() < epsilon:
                action = int(rng.integers(env.n_actions))
            else:
                action = int(rng.choice(np.flatnonzero(Q[state] == Q[state].max())))
            next_state, reward, terminated, truncated, _ = env.step(action)
            q_learning_update(Q, state, action, reward, next_state, terminated, alpha, gamma)
            total += reward
            state, done = next_state, terminated or truncated
        returns.append(total)
    return Q, np.array(returns)
""", 'qlearn-train-test'),
    'a greedy return that keeps only the last reward': ('qlearn-greedy', """
def greedy_return(env, Q, max_steps=100):
    state, _ = env.reset()
    total = 0.0
    for _ in range(max_steps):
        state, reward, terminated, truncated, _ = env.step(int(np.argmax(Q[state])))
        total = reward
        if terminated or truncated:
            break
    return float(total)
""", 'qlearn-greedy-test'),
    'a greedy return that walks on past the goal': ('qlearn-greedy', """
def greedy_return(env, Q, max_steps=100):
    state, _ = env.reset()
    total = 0.0
    for _ in range(max_steps):
        state, reward, terminated, truncated, _ = env.step(int(np.argmax(Q[state])))
        total += reward
    return float(total)
""", 'qlearn-greedy-test'),
    'a greedy return that takes one step too many': ('qlearn-greedy', """
def greedy_return(env, Q, max_steps=100):
    state, _ = env.reset()
    total, steps = 0.0, 0
    while steps <= max_steps:
        state, reward, terminated, truncated, _ = env.step(int(np.argmax(Q[state])))
        total += reward
        steps += 1
        if terminated or truncated:
            break
    return float(total)
""", 'qlearn-greedy-test'),
}
