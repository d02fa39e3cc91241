"""Common mistakes in the rnn_gradients exercise, each caught by a visible test."""

MISTAKES = {
    'an untransposed W_hh and no bias': ('rnngrad-unroll', """
def unroll(x, weight_ih, weight_hh, bias):
    h = torch.zeros(x.shape[1], weight_hh.shape[0], dtype=x.dtype, requires_grad=True)
    states = []
    for x_t in x:
        h = torch.tanh(x_t @ weight_ih.T + h @ weight_hh)
        states.append(h)
    return states
""", 'rnngrad-unroll-test'),
    'the states stored one step late (h_0 kept, h_T lost)': ('rnngrad-unroll', """
def unroll(x, weight_ih, weight_hh, bias):
    h = torch.zeros(x.shape[1], weight_hh.shape[0], dtype=x.dtype, requires_grad=True)
    states = []
    for x_t in x:
        states.append(h)
        h = torch.tanh(x_t @ weight_ih.T + h @ weight_hh.T + bias)
    return states
""", 'rnngrad-unroll-test'),
    'the loss summed over every state, not the last one': ('rnngrad-norms', """
def hidden_gradient_norms(x, weight_ih, weight_hh, bias):
    states = unroll(x, weight_ih, weight_hh, bias)
    for h in states:
        h.retain_grad()
    sum(h.sum() for h in states).backward()
    return np.array([h.grad.norm().item() for h in states])
""", 'rnngrad-norms-test'),
    'the gradient norm taken per sequence and averaged over the batch': ('rnngrad-norms', """
def hidden_gradient_norms(x, weight_ih, weight_hh, bias):
    states = unroll(x, weight_ih, weight_hh, bias)
    for h in states:
        h.retain_grad()
    states[-1].sum().backward()
    return np.array([h.grad.norm(dim=1).mean().item() for h in states])
""", 'rnngrad-norms-test'),
    'the norms listed from the last step back': ('rnngrad-norms', """
def hidden_gradient_norms(x, weight_ih, weight_hh, bias):
    states = unroll(x, weight_ih, weight_hh, bias)
    for h in states:
        h.retain_grad()
    states[-1].sum().backward()
    return np.array([h.grad.norm().item() for h in reversed(states)])
""", 'rnngrad-norms-test'),
    'the decay fitted against t instead of the steps back': ('rnngrad-decay', """
def decay_rate(norms):
    norms = np.asarray(norms, dtype=float)
    return float(np.polyfit(np.arange(len(norms)), np.log10(norms), 1)[0])
""", 'rnngrad-decay-test'),
    'the decay fitted on the natural logarithm': ('rnngrad-decay', """
def decay_rate(norms):
    norms = np.asarray(norms, dtype=float)
    steps_back = np.arange(len(norms))[::-1]
    return float(np.polyfit(steps_back, np.log(norms), 1)[0])
""", 'rnngrad-decay-test'),
}
