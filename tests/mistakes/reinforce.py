"""Common mistakes in the reinforce exercise, each caught by a visible test."""

MISTAKES = {
    'the log-policy gradient with its sign flipped': ('reinforce-grad', """
def grad_log_pi(theta, action):
    return sigmoid(theta) - (1.0 if int(action) == 1 else 0.0)
""", 'reinforce-grad-test'),
    'the gradient of the policy instead of its logarithm': ('reinforce-grad', """
def grad_log_pi(theta, action):
    p = sigmoid(theta)
    return p * (1 - p) if int(action) == 1 else -p * (1 - p)
""", 'reinforce-grad-test'),
    'the log-policy gradient of going left taken as minus that of going right': ('reinforce-grad', """
def grad_log_pi(theta, action):
    p = sigmoid(theta)
    return 1 - p if int(action) == 1 else -(1 - p)
""", 'reinforce-grad-test'),
    'returns discounted from the start of the episode': ('reinforce-returns', """
def returns_to_go(rewards, gamma=1.0):
    T = len(rewards)
    return np.array([sum(gamma ** k * rewards[k] for k in range(t, T)) for t in range(T)])
""", 'reinforce-returns-test'),
    'returns accumulated from the end but stored in the wrong order': ('reinforce-returns', """
def returns_to_go(rewards, gamma=1.0):
    returns, g = [], 0.0
    for r in reversed(rewards):
        g = r + gamma * g
        returns.append(g)
    return np.array(returns)
""", 'reinforce-returns-test'),
    'returns that leave out the reward of their own step': ('reinforce-returns', """
def returns_to_go(rewards, gamma=1.0):
    returns = np.zeros(len(rewards))
    g = 0.0
    for t in reversed(range(len(rewards))):
        returns[t] = g
        g = rewards[t] + gamma * g
    return returns
""", 'reinforce-returns-test'),
    'returns normalized to mean 0 and standard deviation 1': ('reinforce-returns', """
def returns_to_go(rewards, gamma=1.0):
    returns = np.zeros(len(rewards))
    g = 0.0
    for t in reversed(range(len(rewards))):
        g = rewards[t] + gamma * g
        returns[t] = g
    return (returns - returns.mean()) / (returns.std() + 1e-8)
""", 'reinforce-returns-test'),
    'a REINFORCE update that descends the return': ('reinforce-update', """
def reinforce_update(theta, actions, rewards, step_size, gamma=1.0):
    returns = returns_to_go(rewards, gamma)
    step = sum(gamma ** t * g * grad_log_pi(theta, a) for t, (a, g) in enumerate(zip(actions, returns)))
    return theta - step_size * step
""", 'reinforce-update-test'),
    'a REINFORCE update without the factor gamma ** t': ('reinforce-update', """
def reinforce_update(theta, actions, rewards, step_size, gamma=1.0):
    returns = returns_to_go(rewards, gamma)
    step = sum(g * grad_log_pi(theta, a) for a, g in zip(actions, returns))
    return theta + step_size * step
""", 'reinforce-update-test'),
    'a REINFORCE update weighting every step by the whole return': ('reinforce-update', """
def reinforce_update(theta, actions, rewards, step_size, gamma=1.0):
    total = returns_to_go(rewards, gamma)[0]
    step = sum(gamma ** t * total * grad_log_pi(theta, a) for t, a in enumerate(actions))
    return theta + step_size * step
""", 'reinforce-update-test'),
    'a REINFORCE update that moves theta within the episode': ('reinforce-update', """
def reinforce_update(theta, actions, rewards, step_size, gamma=1.0):
    returns = returns_to_go(rewards, gamma)
    for t, (a, g) in enumerate(zip(actions, returns)):
        theta = theta + step_size * gamma ** t * g * grad_log_pi(theta, a)
    return theta
""", 'reinforce-update-test'),
}
