"""Adversarial examples: inputs changed by at most eps in every pixel that a classifier gets wrong.

The attacks look for x' in the L-infinity ball |x' - x|_inf <= eps (and inside the valid
pixel range [0, 1]) that increases the classifier's loss L(x', y):

- FGSM (Goodfellow et al. 2015) takes one step to the corner of the ball that the loss's
  linearization says is worst: x' = x + eps * sign(grad_x L(x, y)).
- PGD (Madry et al. 2018) takes ``steps`` smaller steps of size alpha, each followed by a
  projection back onto the ball (a clip), so it can follow the loss where it is not linear.

Their control is random noise of the same size: x' = x + eps * s with random signs s. If a
network is fooled by the attacks but not by the noise, it is the direction that matters.
"""
import torch
from torch.nn import functional as F

from book.nn.training import accuracy


def input_gradient(model, x, y):
    """grad_x of the cross-entropy of ``model`` at (x, y), without touching the parameters'
    gradients (so an attack can run inside a training loop)."""
    x = x.detach().requires_grad_(True)
    loss = F.cross_entropy(model(x), y)
    return torch.autograd.grad(loss, x)[0]


def fgsm(model, x, y, eps):
    """One signed-gradient step of size eps, kept in [0, 1]."""
    return (x + eps * input_gradient(model, x, y).sign()).clamp(0.0, 1.0).detach()


def pgd(model, x, y, eps, steps=10, alpha=None):
    """``steps`` signed-gradient steps of size ``alpha`` (default eps / 4), each projected
    back onto the eps-ball around x and into [0, 1]; starts at x."""
    alpha = eps / 4 if alpha is None else alpha
    adversarial = x.clone()
    for _ in range(steps):
        adversarial = adversarial + alpha * input_gradient(model, adversarial, y).sign()
        adversarial = torch.min(torch.max(adversarial, x - eps), x + eps).clamp(0.0, 1.0).detach()
    return adversarial


def random_signs(x, eps, generator=None):
    """The control: every pixel moved by +eps or -eps at random, kept in [0, 1]."""
    signs = torch.randint(0, 2, x.shape, generator=generator).to(x.dtype) * 2 - 1
    return (x + eps * signs).clamp(0.0, 1.0)


def accuracy_under(model, x, y, attack, eps_values, target=None):
    """Accuracy of ``target`` (default: the attacked ``model`` itself) on the examples that
    ``attack(model, x, y, eps)`` makes, for each eps; with another ``target``, a transfer
    attack: crafted on one network, tried on another."""
    target = model if target is None else target
    return [accuracy(target, attack(model, x, y, eps) if eps > 0 else x, y) for eps in eps_values]
