"""Common mistakes in the gradient_clipping exercise, each caught by a visible test."""

MISTAKES = {
    'clipping by value from above only': ('clip-value', """
def clip_by_value_(parameters, limit):
    for p in parameters:
        if p.grad is not None:
            p.grad.clamp_(max=limit)
""", 'clip-value-test'),
    'clipping by value on a copy, not in place': ('clip-value', """
def clip_by_value_(parameters, limit):
    for p in parameters:
        if p.grad is not None:
            grad = torch.clamp(p.grad, -limit, limit)
""", 'clip-value-test'),
    'clipping by value that fails on a parameter without a gradient': ('clip-value', """
def clip_by_value_(parameters, limit):
    for p in parameters:
        p.grad.clamp_(-limit, limit)
""", 'clip-value-test'),
    'clipping each gradient by its own norm': ('clip-norm', """
def clip_by_norm_(parameters, max_norm):
    total = 0.0
    for p in parameters:
        if p.grad is not None:
            norm = p.grad.norm().item()
            total += norm ** 2
            if norm > max_norm:
                p.grad.mul_(max_norm / norm)
    return total ** 0.5
""", 'clip-norm-test'),
    "the total norm as the sum of the gradients' norms": ('clip-norm', """
def clip_by_norm_(parameters, max_norm):
    grads = [p.grad for p in parameters if p.grad is not None]
    total = sum(g.norm() for g in grads).item()
    if total > max_norm:
        for g in grads:
            g.mul_(max_norm / total)
    return total
""", 'clip-norm-test'),
    'rescaling to max_norm even a gradient already shorter': ('clip-norm', """
def clip_by_norm_(parameters, max_norm):
    grads = [p.grad for p in parameters if p.grad is not None]
    total = torch.sqrt(sum((g ** 2).sum() for g in grads)).item()
    for g in grads:
        g.mul_(max_norm / total)
    return total
""", 'clip-norm-test'),
    'returning the norm after clipping': ('clip-norm', """
def clip_by_norm_(parameters, max_norm):
    grads = [p.grad for p in parameters if p.grad is not None]
    total = torch.sqrt(sum((g ** 2).sum() for g in grads)).item()
    if total > max_norm:
        for g in grads:
            g.mul_(max_norm / total)
    return torch.sqrt(sum((g ** 2).sum() for g in grads)).item()
""", 'clip-norm-test'),
    'a training step that does not zero the old gradients': ('clip-step', """
def clipped_sgd_step(model, loss, learning_rate, max_norm):
    loss.backward()
    total = clip_by_norm_(list(model.parameters()), max_norm)
    with torch.no_grad():
        for p in model.parameters():
            p -= learning_rate * p.grad
    return total
""", 'clip-step-test'),
    'a training step that clips after the update': ('clip-step', """
def clipped_sgd_step(model, loss, learning_rate, max_norm):
    model.zero_grad()
    loss.backward()
    with torch.no_grad():
        for p in model.parameters():
            p -= learning_rate * p.grad
    return clip_by_norm_(list(model.parameters()), max_norm)
""", 'clip-step-test'),
    'a training step that climbs the loss': ('clip-step', """
def clipped_sgd_step(model, loss, learning_rate, max_norm):
    model.zero_grad()
    loss.backward()
    total = clip_by_norm_(list(model.parameters()), max_norm)
    with torch.no_grad():
        for p in model.parameters():
            p += learning_rate * p.grad
    return total
""", 'clip-step-test'),
}
