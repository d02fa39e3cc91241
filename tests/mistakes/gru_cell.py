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
    'the GRU gates read in the order update, reset': ('gru-gates', """
def gru_gates(x, h, weight_ih, weight_hh, bias_ih, bias_hh):
    gi = x @ weight_ih.T + bias_ih
    gh = h @ weight_hh.T + bias_hh
    size = h.shape[1]
    z = torch.sigmoid(gi[:, :size] + gh[:, :size])
    r = torch.sigmoid(gi[:, size:2 * size] + gh[:, size:2 * size])
    return r, z
""", 'gru-gates-test'),
    'the GRU gates without the hidden-to-hidden bias': ('gru-gates', """
def gru_gates(x, h, weight_ih, weight_hh, bias_ih, bias_hh):
    gi = x @ weight_ih.T + bias_ih
    gh = h @ weight_hh.T
    size = h.shape[1]
    r = torch.sigmoid(gi[:, :size] + gh[:, :size])
    z = torch.sigmoid(gi[:, size:2 * size] + gh[:, size:2 * size])
    return r, z
""", 'gru-gates-test'),
    'the GRU update gate weighting the candidate instead of the old state': ('gru-cell', """
def gru_cell(x, h, weight_ih, weight_hh, bias_ih, bias_hh):
    r, z = gru_gates(x, h, weight_ih, weight_hh, bias_ih, bias_hh)
    size = h.shape[1]
    n = torch.tanh(x @ weight_ih[2 * size:].T + bias_ih[2 * size:]
                   + r * (h @ weight_hh[2 * size:].T + bias_hh[2 * size:]))
    return z * n + (1 - z) * h
""", 'gru-cell-test'),
    'the GRU candidate from the reset block of rows': ('gru-cell', """
def gru_cell(x, h, weight_ih, weight_hh, bias_ih, bias_hh):
    r, z = gru_gates(x, h, weight_ih, weight_hh, bias_ih, bias_hh)
    size = h.shape[1]
    n = torch.tanh(x @ weight_ih[:size].T + bias_ih[:size]
                   + r * (h @ weight_hh[:size].T + bias_hh[:size]))
    return (1 - z) * n + z * h
""", 'gru-cell-test'),
}
