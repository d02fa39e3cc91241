"""Several independent networks trained at once: K copies of a layer held as one tensor.

One batched matrix product (``torch.baddbmm``) serves all K copies, so K small networks train
in about the time of one, each exactly as it would alone: the DQN page's dozen agents, the
VAE page's β values, the GAN page's generators and discriminators (``parallel_mlp`` stacks them).
"""
import math

import torch
from torch import nn


class ParallelLinear(nn.Module):
    """K independent linear layers: input (K, batch, in_features) -> (K, batch, out_features).

    Initialised like ``nn.Linear`` (uniform in +-1/sqrt(in_features)), one copy at a time, copy k
    from ``generators[k]`` if given.
    """

    def __init__(self, n_copies, in_features, out_features, generators=None):
        super().__init__()
        bound = 1 / math.sqrt(in_features)
        weight, bias = torch.empty(n_copies, out_features, in_features), torch.empty(n_copies, 1, out_features)
        for k in range(n_copies):
            generator = generators[k] if generators else None
            weight[k].uniform_(-bound, bound, generator=generator)
            bias[k].uniform_(-bound, bound, generator=generator)
        self.weight, self.bias = nn.Parameter(weight), nn.Parameter(bias)

    def forward(self, x):
        return torch.baddbmm(self.bias, x, self.weight.transpose(1, 2))


def parallel_mlp(n_copies, sizes, generators=None, activation=nn.ReLU):
    """K independent networks of ``ParallelLinear`` layers of ``sizes`` (inputs, hidden...,
    outputs), ``activation`` between them; layer by layer, copy k drawn from ``generators[k]``."""
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        if i:
            layers.append(activation())
        layers.append(ParallelLinear(n_copies, n_in, n_out, generators))
    return nn.Sequential(*layers)


@torch.no_grad()
def share_initial_weights_(module, n_shared):
    """Give the K stacked models of ``module`` (every parameter with a leading model axis) the
    initial weights of its first ``n_shared``, repeated: models k and k + n_shared start alike,
    so settings compared across the blocks differ only in what they set."""
    for p in module.parameters():
        p.copy_(p[:n_shared].repeat(len(p) // n_shared, *([1] * (p.dim() - 1))))
