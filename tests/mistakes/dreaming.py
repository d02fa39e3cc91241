"""Common mistakes in the dreaming exercise, each caught by a visible test."""

MISTAKES = {
    "only horizontal neighbours": ('dream-tv', """
def total_variation(images):
    return ((images[..., :, 1:] - images[..., :, :-1]) ** 2).flatten(1).sum(1)
""", 'dream-tv-test'),
    "absolute differences": ('dream-tv', """
def total_variation(images):
    across = (images[..., :, 1:] - images[..., :, :-1]).abs()
    down = (images[..., 1:, :] - images[..., :-1, :]).abs()
    return across.flatten(1).sum(1) + down.flatten(1).sum(1)
""", 'dream-tv-test'),
    "one number for the whole batch": ('dream-tv', """
def total_variation(images):
    across = (images[..., :, 1:] - images[..., :, :-1]) ** 2
    down = (images[..., 1:, :] - images[..., :-1, :]) ** 2
    return across.sum() + down.sum()
""", 'dream-tv-test'),
    "the gradient of the loss, not of the score": ('dream-saliency', """
def saliency(model, x, y):
    x = x.detach().clone().requires_grad_(True)
    loss = F.cross_entropy(model(x), torch.as_tensor(y))
    return torch.autograd.grad(loss, x)[0].abs()
""", 'dream-saliency-test'),
    "the signed gradient": ('dream-saliency', """
def saliency(model, x, y):
    x = x.detach().clone().requires_grad_(True)
    scores = model(x).gather(1, torch.as_tensor(y)[:, None]).sum()
    return torch.autograd.grad(scores, x)[0]
""", 'dream-saliency-test'),
    "the score of the predicted class": ('dream-saliency', """
def saliency(model, x, y):
    x = x.detach().clone().requires_grad_(True)
    scores = model(x).max(dim=1).values.sum()
    return torch.autograd.grad(scores, x)[0].abs()
""", 'dream-saliency-test'),
    "a step down the gradient": ('dream-step', """
def ascent_step(model, x, target, lr, tv):
    x = x.detach().clone().requires_grad_(True)
    log_p = F.log_softmax(model(x), dim=1).gather(1, torch.as_tensor(target)[:, None]).squeeze(1)
    gradient = torch.autograd.grad((log_p - tv * total_variation(x)).sum(), x)[0]
    return (x - lr * gradient).clamp(0.0, 1.0).detach()
""", 'dream-step-test'),
    "the raw score instead of the log-probability": ('dream-step', """
def ascent_step(model, x, target, lr, tv):
    x = x.detach().clone().requires_grad_(True)
    score = model(x).gather(1, torch.as_tensor(target)[:, None]).squeeze(1)
    gradient = torch.autograd.grad((score - tv * total_variation(x)).sum(), x)[0]
    return (x + lr * gradient).clamp(0.0, 1.0).detach()
""", 'dream-step-test'),
    "the prior added instead of subtracted": ('dream-step', """
def ascent_step(model, x, target, lr, tv):
    x = x.detach().clone().requires_grad_(True)
    log_p = F.log_softmax(model(x), dim=1).gather(1, torch.as_tensor(target)[:, None]).squeeze(1)
    gradient = torch.autograd.grad((log_p + tv * total_variation(x)).sum(), x)[0]
    return (x + lr * gradient).clamp(0.0, 1.0).detach()
""", 'dream-step-test'),
    "no clipping": ('dream-step', """
def ascent_step(model, x, target, lr, tv):
    x = x.detach().clone().requires_grad_(True)
    log_p = F.log_softmax(model(x), dim=1).gather(1, torch.as_tensor(target)[:, None]).squeeze(1)
    gradient = torch.autograd.grad((log_p - tv * total_variation(x)).sum(), x)[0]
    return (x + lr * gradient).detach()
""", 'dream-step-test'),
}
MISTAKES["the objectives averaged over the batch"] = ('dream-step', """
def ascent_step(model, x, target, lr, tv):
    x = x.detach().clone().requires_grad_(True)
    log_p = F.log_softmax(model(x), dim=1).gather(1, torch.as_tensor(target)[:, None]).squeeze(1)
    gradient = torch.autograd.grad((log_p - tv * total_variation(x)).mean(), x)[0]
    return (x + lr * gradient).clamp(0.0, 1.0).detach()
""", 'dream-step-test')
