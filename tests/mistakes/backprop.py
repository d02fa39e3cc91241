"""Common mistakes in the backprop exercise, each caught by a visible test."""

MISTAKES = {
    'a backward pass that returns zeros': ('bp-backward', """
def backward(x, y, W1, b1, W2, b2):
    return [torch.zeros_like(W1), torch.zeros_like(b1), torch.zeros_like(W2), torch.zeros_like(b2)]
""", 'bp-backward-test'),
}
