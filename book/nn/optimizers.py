"""SGD, momentum, RMSProp and Adam, written out; each has torch.optim's update rule.

Each optimizer keeps its state per parameter and updates tensors in place:

    SGD       p -= lr * g
    momentum  v = mu v + g;                      p -= lr * v
    RMSProp   s = a s + (1 - a) g^2;             p -= lr * g / (sqrt(s) + eps)
    Adam      m = b1 m + (1 - b1) g,  v = b2 v + (1 - b2) g^2
              p -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)

``weight_decay`` adds wd * p to g first (L2 regularization), as torch.optim does.

A model's parameters can be made views of one flat tensor (``flatten_parameters_``): an
optimizer given that tensor and its flat gradient runs each line above once per step, instead of
once per parameter, with the same numbers (every operation is element-wise).
"""
import torch


class Optimizer:
    def __init__(self, params, lr, weight_decay=0.0):
        self.params, self.lr, self.weight_decay = list(params), lr, weight_decay
        self.state = [{} for _ in self.params]
        self.t = 0

    @torch.no_grad()
    def step(self, grads=None):
        """Update every parameter with its .grad, or with the given list of gradients."""
        self.t += 1
        grads = grads if grads is not None else [p.grad for p in self.params]
        for p, g, state in zip(self.params, grads, self.state):
            if g is None:
                continue
            g = g + self.weight_decay * p if self.weight_decay else g
            p -= self.direction(g, state)

    def zero_grad(self):
        for p in self.params:
            p.grad = None


class SGD(Optimizer):
    def direction(self, g, state):
        return self.lr * g


class Momentum(Optimizer):
    def __init__(self, params, lr, momentum=0.9, weight_decay=0.0):
        super().__init__(params, lr, weight_decay)
        self.momentum = momentum

    def direction(self, g, state):
        state["v"] = self.momentum * state["v"] + g if "v" in state else g.clone()
        return self.lr * state["v"]


class RMSProp(Optimizer):
    def __init__(self, params, lr, alpha=0.99, eps=1e-8, weight_decay=0.0):
        super().__init__(params, lr, weight_decay)
        self.alpha, self.eps = alpha, eps

    def direction(self, g, state):
        s = (1 - self.alpha) * g * g                               # s starts at 0
        state["s"] = self.alpha * state["s"] + s if "s" in state else s
        return self.lr * g / (state["s"].sqrt() + self.eps)


class Adam(Optimizer):
    def __init__(self, params, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params, lr, weight_decay)
        self.betas, self.eps = betas, eps

    def direction(self, g, state):
        b1, b2 = self.betas
        m, v = (1 - b1) * g, (1 - b2) * g * g                      # m and v start at 0
        if "m" in state:                                           # b m + (1 - b) g, in place
            m, v = state["m"].mul_(b1).add_(m), state["v"].mul_(b2).add_(v)
        state["m"], state["v"] = m, v
        m_hat = m / (1 - b1 ** self.t)
        v_hat = v / (1 - b2 ** self.t)
        # lr m_hat / (sqrt(v_hat) + eps), in place
        return m_hat.mul_(self.lr).div_(v_hat.sqrt_().add_(self.eps))


OPTIMIZERS = {"sgd": SGD, "momentum": Momentum, "rmsprop": RMSProp, "adam": Adam}


def flatten_parameters_(parameters):
    """Make the parameters, and their gradients, views of one flat tensor each; return the
    two flat tensors. An optimizer then updates all of them with a few operations on one
    tensor instead of a few per parameter (the same numbers: every update is element-wise),
    and backward adds each gradient into its place in the flat one."""
    with torch.no_grad():
        flat = torch.cat([p.reshape(-1) for p in parameters])
    grad = torch.zeros_like(flat)
    start = 0
    for p in parameters:
        end = start + p.numel()
        p.data = flat[start:end].view_as(p)
        p.grad = grad[start:end].view_as(p)
        start = end
    return flat, grad
