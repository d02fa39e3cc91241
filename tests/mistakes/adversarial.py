"""Common mistakes in the adversarial exercise, each caught by a visible test."""

MISTAKES = {
    "the gradient itself instead of its sign": ('adv-fgsm', """
def fgsm(model, x, y, eps):
    x = x.detach().clone().requires_grad_(True)
    gradient = torch.autograd.grad(F.cross_entropy(model(x), y), x)[0]
    return (x + eps * gradient / gradient.abs().max()).clamp(0.0, 1.0).detach()
""", 'adv-fgsm-test'),
    "a step down the gradient": ('adv-fgsm', """
def fgsm(model, x, y, eps):
    x = x.detach().clone().requires_grad_(True)
    gradient = torch.autograd.grad(F.cross_entropy(model(x), y), x)[0]
    return (x - eps * gradient.sign()).clamp(0.0, 1.0).detach()
""", 'adv-fgsm-test'),
    "pixels left outside [0, 1]": ('adv-fgsm', """
def fgsm(model, x, y, eps):
    x = x.detach().clone().requires_grad_(True)
    gradient = torch.autograd.grad(F.cross_entropy(model(x), y), x)[0]
    return (x + eps * gradient.sign()).detach()
""", 'adv-fgsm-test'),
    "no projection onto the ball": ('adv-pgd', """
def pgd(model, x, y, eps, steps=10, alpha=None):
    alpha = eps / 4 if alpha is None else alpha
    adversarial = x.detach().clone()
    for _ in range(steps):
        adversarial.requires_grad_(True)
        gradient = torch.autograd.grad(F.cross_entropy(model(adversarial), y), adversarial)[0]
        adversarial = (adversarial.detach() + alpha * gradient.sign()).clamp(0.0, 1.0)
    return adversarial.detach()
""", 'adv-pgd-test'),
    "the ball around the current iterate, not the original input": ('adv-pgd', """
def pgd(model, x, y, eps, steps=10, alpha=None):
    alpha = eps / 4 if alpha is None else alpha
    adversarial = x.detach().clone()
    for _ in range(steps):
        adversarial.requires_grad_(True)
        gradient = torch.autograd.grad(F.cross_entropy(model(adversarial), y), adversarial)[0]
        start = adversarial.detach()
        adversarial = start + alpha * gradient.sign()
        adversarial = torch.min(torch.max(adversarial, start - eps), start + eps).clamp(0.0, 1.0)
    return adversarial.detach()
""", 'adv-pgd-test'),
    "unsigned gradient steps": ('adv-pgd', """
def pgd(model, x, y, eps, steps=10, alpha=None):
    alpha = eps / 4 if alpha is None else alpha
    x = x.detach()
    adversarial = x.clone()
    for _ in range(steps):
        adversarial.requires_grad_(True)
        gradient = torch.autograd.grad(F.cross_entropy(model(adversarial), y), adversarial)[0]
        adversarial = adversarial.detach() + alpha * gradient
        adversarial = torch.min(torch.max(adversarial, x - eps), x + eps).clamp(0.0, 1.0)
    return adversarial.detach()
""", 'adv-pgd-test'),
    "alpha defaulting to eps": ('adv-pgd', """
def pgd(model, x, y, eps, steps=10, alpha=None):
    alpha = eps if alpha is None else alpha
    x = x.detach()
    adversarial = x.clone()
    for _ in range(steps):
        adversarial.requires_grad_(True)
        gradient = torch.autograd.grad(F.cross_entropy(model(adversarial), y), adversarial)[0]
        adversarial = adversarial.detach() + alpha * gradient.sign()
        adversarial = torch.min(torch.max(adversarial, x - eps), x + eps).clamp(0.0, 1.0)
    return adversarial.detach()
""", 'adv-pgd-test'),
}
