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
}
