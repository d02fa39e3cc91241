"""Common mistakes in the gru_cell exercise, each caught by a visible test."""

MISTAKES = {
    "the GRU's reset gate before the recurrent product": ('gru-cell', """
def gru_cell(x, h, weight_ih, weight_hh, bias_ih, bias_hh):
    r, z = gru_gates(x, h, weight_ih, weight_hh, bias_ih, bias_hh)
    size = h.shape[1]
    n = torch.tanh(x @ weight_ih[2 * size:].T + bias_ih[2 * size:]
                   + (r * h) @ weight_hh[2 * size:].T + bias_hh[2 * size:])
    return (1 - z) * n + z * h
""", 'gru-cell-test'),
    'a GRU that computes in float32 only': ('gru-cell', """
def gru_cell(x, h, weight_ih, weight_hh, bias_ih, bias_hh):
    x, h, weight_ih, weight_hh, bias_ih, bias_hh = (t.float() for t in (x, h, weight_ih, weight_hh, bias_ih, bias_hh))
    r, z = gru_gates(x, h, weight_ih, weight_hh, bias_ih, bias_hh)
    size = h.shape[1]
    n = torch.tanh(x @ weight_ih[2 * size:].T + bias_ih[2 * size:]
                   + r * (h @ weight_hh[2 * size:].T + bias_hh[2 * size:]))
    return (1 - z) * n + z * h
""", 'gru-cell-test'),
}
