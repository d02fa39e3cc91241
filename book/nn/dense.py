"""Dense (fully connected) networks.

``MLP`` is the everyday torch module. ``TwoLayerNet`` is the same idea with backpropagation
written out by hand, for a network with one hidden layer and a softmax output:

    z1 = x W1^T + b1,  a1 = act(z1),  z2 = a1 W2^T + b2,  L = cross-entropy(softmax(z2), y)
    dz2 = (softmax(z2) - onehot(y)) / n
    dW2 = dz2^T a1,  db2 = sum dz2,  da1 = dz2 W2,  dz1 = da1 * act'(z1)
    dW1 = dz1^T x,   db1 = sum dz1
"""
import torch
from torch import nn
from torch.nn import functional as F

ACTIVATIONS = {"tanh": nn.Tanh, "relu": nn.ReLU, "sigmoid": nn.Sigmoid, "linear": nn.Identity}
DERIVATIVES = {
    "tanh": lambda z: 1 - torch.tanh(z) ** 2,
    "relu": lambda z: (z > 0).to(z.dtype),
    "sigmoid": lambda z: torch.sigmoid(z) * (1 - torch.sigmoid(z)),
    "linear": lambda z: torch.ones_like(z),
}


class MLP(nn.Sequential):
    """input -> [Linear -> activation (-> Dropout)] x depth -> Linear(output)."""

    def __init__(self, input_size, hidden_size, depth, output_size, activation="tanh", dropout=0.0):
        layers, size = [], input_size
        for _ in range(depth):
            layers += [nn.Linear(size, hidden_size), ACTIVATIONS[activation]()]
            layers += [nn.Dropout(dropout)] if dropout else []
            size = hidden_size
        layers.append(nn.Linear(size, output_size))
        super().__init__(*layers)


class TwoLayerNet:
    """One hidden layer, softmax output; forward and backward written out (see above)."""

    def __init__(self, input_size, hidden_size, n_classes, activation="tanh", seed=0):
        g = torch.Generator().manual_seed(seed)
        self.activation = activation
        self.W1 = torch.randn(hidden_size, input_size, generator=g) / input_size ** 0.5
        self.b1 = torch.zeros(hidden_size)
        self.W2 = torch.randn(n_classes, hidden_size, generator=g) / hidden_size ** 0.5
        self.b2 = torch.zeros(n_classes)

    def parameters(self):
        return [self.W1, self.b1, self.W2, self.b2]

    def forward(self, x):
        self.x = x
        self.z1 = x @ self.W1.T + self.b1
        self.a1 = ACTIVATIONS[self.activation]()(self.z1)
        self.z2 = self.a1 @ self.W2.T + self.b2
        return self.z2

    def loss(self, x, y):
        return F.cross_entropy(self.forward(x), y)

    def backward(self, y):
        """Gradients of the mean cross-entropy of the last forward pass: [dW1, db1, dW2, db2]."""
        dz2 = torch.softmax(self.z2, dim=1)
        dz2[torch.arange(len(y)), y] -= 1
        dz2 /= len(y)
        dW2, db2 = dz2.T @ self.a1, dz2.sum(0)
        dz1 = (dz2 @ self.W2) * DERIVATIVES[self.activation](self.z1)
        return [dz1.T @ self.x, dz1.sum(0), dW2, db2]
