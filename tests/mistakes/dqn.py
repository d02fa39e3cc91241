"""Common mistakes in the dqn exercise, each caught by a visible test."""

MISTAKES = {
    'a DQN target that bootstraps past the end of the episode': ('dqn-targets', """
def td_targets(rewards, next_q, terminated, gamma):
    return rewards + gamma * next_q.max(dim=1).values
""", 'dqn-targets-test'),
    'a DQN loss whose gradient also trains the target network': ('dqn-loss', """
def dqn_loss(q_network, target_network, states, actions, rewards, next_states, terminated, gamma):
    targets = td_targets(rewards, target_network(next_states), terminated, gamma)
    q = q_network(states).gather(1, actions[:, None]).squeeze(1)
    return torch.nn.functional.smooth_l1_loss(q, targets)
""", 'dqn-loss-test'),
    'a DQN loss that is the squared error': ('dqn-loss', """
def dqn_loss(q_network, target_network, states, actions, rewards, next_states, terminated, gamma):
    with torch.no_grad():
        targets = td_targets(rewards, target_network(next_states), terminated, gamma)
    q = q_network(states).gather(1, actions[:, None]).squeeze(1)
    return ((targets - q) ** 2).mean() / 2
""", 'dqn-loss-test'),
    'a replay buffer that stops storing once full': ('dqn-buffer', """
class ReplayBuffer:
    def __init__(self, capacity):
        self.capacity, self.transitions = capacity, []

    def push(self, state, action, reward, next_state, terminated):
        if len(self.transitions) < self.capacity:
            self.transitions.append((np.asarray(state, dtype=np.float32), int(action), float(reward),
                                     np.asarray(next_state, dtype=np.float32), float(terminated)))

    def __len__(self):
        return len(self.transitions)

    def sample(self, batch_size, rng):
        picked = [self.transitions[i] for i in rng.integers(len(self.transitions), size=batch_size)]
        states, actions, rewards, next_states, terminated = zip(*picked)
        return (torch.tensor(np.stack(states)), torch.tensor(actions, dtype=torch.long),
                torch.tensor(rewards, dtype=torch.float32), torch.tensor(np.stack(next_states)),
                torch.tensor(terminated, dtype=torch.float32))
""", 'dqn-buffer-test'),
}
