"""What a trained classifier responds to: inputs optimized for a class, and saliency maps.

*Dreaming* (activation maximization, Erhan et al. 2009; Simonyan et al. 2014) runs gradient
ascent on the input instead of the weights: start from a grey image and follow
grad_x log p(class | x). Alone, this finds whatever pixels raise the score, an image the network
is sure of and a person would not recognize; a prior that penalizes what images of the class do
not have (here rough texture, through the total variation, and ink, through the squared
pixels) keeps the ascent near images that look like something.

A *saliency map* is |d score_y / d x|: how much the class score would change per unit change of
each pixel, at this input. *Gradient times input*, x * d score_y / d x, is minus the first-order
change of the score when a pixel is set to 0: the ranking that the deletion test asks for.
"""
import torch
from torch.nn import functional as F


def total_variation(images):
    """Sum of squared differences between neighbouring pixels of (n, 1, H, W) images, per image."""
    across = (images[..., :, 1:] - images[..., :, :-1]) ** 2
    down = (images[..., 1:, :] - images[..., :-1, :]) ** 2
    return across.flatten(1).sum(1) + down.flatten(1).sum(1)


def dream(model, classes, steps=200, lr=0.05, tv=0.0, l2=0.0, size=8, seed=0):
    """One image per entry of ``classes``, by Adam ascent on
    log p(class | x) - tv * TV(x) - l2 * ||x||^2, pixels kept in [0, 1], from grey (0.5) with a
    little noise. Returns (images (n, 1, size, size), the log-probabilities along the way)."""
    generator = torch.Generator().manual_seed(seed)
    classes = torch.as_tensor(classes)
    x = (0.5 + 0.01 * torch.randn(len(classes), 1, size, size, generator=generator)).requires_grad_(True)
    optimizer = torch.optim.Adam([x], lr=lr)
    history = []
    for _ in range(steps):
        log_p = F.log_softmax(model(x), dim=1).gather(1, classes[:, None]).squeeze(1)
        objective = log_p - tv * total_variation(x) - l2 * (x ** 2).flatten(1).sum(1)
        optimizer.zero_grad()
        (-objective.sum()).backward()
        optimizer.step()
        with torch.no_grad():
            x.clamp_(0.0, 1.0)
        history.append(log_p.detach())
    return x.detach(), torch.stack(history)


def score_gradient(model, x, y):
    """d logit_y / d x for each input of the batch (the same shape as x)."""
    x = x.detach().clone().requires_grad_(True)
    scores = model(x).gather(1, torch.as_tensor(y)[:, None]).sum()
    return torch.autograd.grad(scores, x)[0]


def saliency(model, x, y):
    """|d logit_y / d x| for each input of the batch (the same shape as x)."""
    return score_gradient(model, x, y).abs()


def nearest_distance(images, reference):
    """Each image's squared distance to its nearest row of ``reference`` (flattened examples):
    whether a dream looks like any real example."""
    flat = images.reshape(len(images), -1)
    reference = torch.as_tensor(reference, dtype=flat.dtype)
    return torch.cdist(flat, reference).min(dim=1).values.square().numpy()


def gradient_times_input(model, x, y):
    """x * d logit_y / d x for each input: to first order, how much the score of y falls when
    each pixel is set to 0."""
    return x.detach() * score_gradient(model, x, y)


def random_ink_order(x, generator=None):
    """Per input, its inked pixels (> 0) in random order, then its blank ones: the baseline of a
    deletion test in which erasing a blank pixel would change nothing."""
    orders = []
    for image in x.flatten(1):
        ink, blank = torch.nonzero(image > 0).squeeze(1), torch.nonzero(image == 0).squeeze(1)
        orders.append(torch.cat([ink[torch.randperm(len(ink), generator=generator)],
                                 blank[torch.randperm(len(blank), generator=generator)]]))
    return torch.stack(orders)


@torch.no_grad()
def deletion_drop(model, x, y, order, k):
    """Mean fall of p(y | x) when the ``k`` pixels first in ``order`` (indices into the flattened
    image, per input) are set to 0: the deletion test of a saliency map."""
    before = F.softmax(model(x), 1).gather(1, y[:, None]).squeeze(1)
    erased = x.clone().flatten(1)
    erased.scatter_(1, order[:, :k], 0.0)
    after = F.softmax(model(erased.reshape(x.shape)), 1).gather(1, y[:, None]).squeeze(1)
    return (before - after).mean().item()
