"""Common mistakes in the value_iteration exercise, each caught by a visible test."""

MISTAKES = {
    'a Bellman backup without the discount': ('vi-backup', """
def bellman_backup(P, R, V, gamma):
    return np.asarray(R, dtype=float) + np.asarray(P, dtype=float) @ np.asarray(V, dtype=float)
""", 'vi-backup-test'),
    'a Bellman backup that discounts the reward too': ('vi-backup', """
def bellman_backup(P, R, V, gamma):
    return gamma * (np.asarray(R, dtype=float) + np.asarray(P, dtype=float) @ np.asarray(V, dtype=float))
""", 'vi-backup-test'),
    'a Bellman backup summed over the states it comes from': ('vi-backup', """
def bellman_backup(P, R, V, gamma):
    P, R, V = (np.asarray(a, dtype=float) for a in (P, R, V))
    return R + gamma * np.einsum("sak,s->ka", P, V)
""", 'vi-backup-test'),
    'value iteration averaging over the actions': ('vi-iterate', """
def value_iteration(P, R, gamma, theta=1e-10):
    V = np.zeros(len(R))
    while True:
        new = bellman_backup(P, R, V, gamma).mean(axis=1)
        if np.abs(new - V).max() < theta:
            return new
        V = new
""", 'vi-iterate-test'),
    'value iteration keeping the best action instead of its value': ('vi-iterate', """
def value_iteration(P, R, gamma, theta=1e-10):
    V = np.zeros(len(R))
    while True:
        new = bellman_backup(P, R, V, gamma).argmax(axis=1).astype(float)
        if np.abs(new - V).max() < theta:
            return new
        V = new
""", 'vi-iterate-test'),
    'value iteration stopped after a fixed 50 sweeps': ('vi-iterate', """
def value_iteration(P, R, gamma, theta=1e-10):
    V = np.zeros(len(R))
    for _ in range(50):
        V = bellman_backup(P, R, V, gamma).max(axis=1)
    return V
""", 'vi-iterate-test'),
    'a greedy policy taken over the wrong axis': ('vi-greedy', """
def greedy_policy(P, R, V, gamma):
    return np.argmax(bellman_backup(P, R, V, gamma), axis=0)
""", 'vi-greedy-test'),
    'a greedy policy on the immediate reward alone': ('vi-greedy', """
def greedy_policy(P, R, V, gamma):
    return np.argmax(R, axis=1)
""", 'vi-greedy-test'),
    "a greedy policy on the next state's value alone": ('vi-greedy', """
def greedy_policy(P, R, V, gamma):
    return np.argmax(np.asarray(P) @ np.asarray(V), axis=1)
""", 'vi-greedy-test'),
}
