"""Common mistakes in the backprop exercise, each caught by a visible test."""

MISTAKES = {
    'a backward pass that returns zeros': ('bp-backward', """
def backward(x, y, W1, b1, W2, b2):
    return [torch.zeros_like(W1), torch.zeros_like(b1), torch.zeros_like(W2), torch.zeros_like(b2)]
""", 'bp-backward-test'),
    'a forward pass that forgets the output bias': ('bp-forward', """
def forward(x, W1, b1, W2, b2):
    z1 = x @ W1.T + b1
    a1 = torch.tanh(z1)
    return z1, a1, a1 @ W2.T
""", 'bp-forward-test'),
    'logits computed from the pre-activation z1 instead of tanh(z1)': ('bp-forward', """
def forward(x, W1, b1, W2, b2):
    z1 = x @ W1.T + b1
    a1 = torch.tanh(z1)
    return z1, a1, z1 @ W2.T + b2
""", 'bp-forward-test'),
    'a backward pass that skips the derivative of tanh': ('bp-backward', """
def backward(x, y, W1, b1, W2, b2):
    z1, a1, z2 = forward(x, W1, b1, W2, b2)
    d2 = torch.softmax(z2, dim=1)
    d2[torch.arange(len(y)), y] -= 1
    d2 = d2 / len(y)
    d1 = d2 @ W2
    return [d1.T @ x, d1.sum(0), d2.T @ a1, d2.sum(0)]
""", 'bp-backward-test'),
    'the derivative of tanh taken as 1 - z1^2 instead of 1 - tanh(z1)^2': ('bp-backward', """
def backward(x, y, W1, b1, W2, b2):
    z1, a1, z2 = forward(x, W1, b1, W2, b2)
    d2 = torch.softmax(z2, dim=1)
    d2[torch.arange(len(y)), y] -= 1
    d2 = d2 / len(y)
    d1 = (d2 @ W2) * (1 - z1 ** 2)
    return [d1.T @ x, d1.sum(0), d2.T @ a1, d2.sum(0)]
""", 'bp-backward-test'),
    'gradients of the summed loss, not the mean (no division by n)': ('bp-backward', """
def backward(x, y, W1, b1, W2, b2):
    z1, a1, z2 = forward(x, W1, b1, W2, b2)
    d2 = torch.softmax(z2, dim=1)
    d2[torch.arange(len(y)), y] -= 1
    d1 = (d2 @ W2) * (1 - a1 ** 2)
    return [d1.T @ x, d1.sum(0), d2.T @ a1, d2.sum(0)]
""", 'bp-backward-test'),
    'weight gradients transposed (x.T @ d1)': ('bp-backward', """
def backward(x, y, W1, b1, W2, b2):
    z1, a1, z2 = forward(x, W1, b1, W2, b2)
    d2 = torch.softmax(z2, dim=1)
    d2[torch.arange(len(y)), y] -= 1
    d2 = d2 / len(y)
    d1 = (d2 @ W2) * (1 - a1 ** 2)
    return [x.T @ d1, d1.sum(0), a1.T @ d2, d2.sum(0)]
""", 'bp-backward-test'),
}
