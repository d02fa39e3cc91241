"""Common mistakes in the training exercise, each caught by a visible test."""

MISTAKES = {
    'a bias correction by (1 - beta) instead of (1 - beta^t)': ('tr-adam', """
def adam_step(param, grad, m, v, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
    beta1, beta2 = betas
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad * grad
    m_hat = m / (1 - beta1)
    v_hat = v / (1 - beta2)
    return param - lr * m_hat / (v_hat.sqrt() + eps), m, v
""", 'tr-adam-test'),
    'an Adam step computed in float32 for float64 tensors': ('tr-adam', """
def adam_step(param, grad, m, v, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
    param, grad, m, v = param.float(), grad.float(), m.float(), v.float()
    beta1, beta2 = betas
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad * grad
    m_hat = m / (1 - beta1 ** t)
    v_hat = v / (1 - beta2 ** t)
    return param - lr * m_hat / (v_hat.sqrt() + eps), m, v
""", 'tr-adam-test'),
    'eps added inside the square root': ('tr-adam', """
def adam_step(param, grad, m, v, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
    beta1, beta2 = betas
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad * grad
    m_hat = m / (1 - beta1 ** t)
    v_hat = v / (1 - beta2 ** t)
    return param - lr * m_hat / (v_hat + eps).sqrt(), m, v
""", 'tr-adam-test'),
    'no bias correction at all': ('tr-adam', """
def adam_step(param, grad, m, v, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
    beta1, beta2 = betas
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad * grad
    return param - lr * m / (v.sqrt() + eps), m, v
""", 'tr-adam-test'),
    'a second moment of the gradient, not of its square': ('tr-adam', """
def adam_step(param, grad, m, v, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
    beta1, beta2 = betas
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad.abs()
    m_hat = m / (1 - beta1 ** t)
    v_hat = v / (1 - beta2 ** t)
    return param - lr * m_hat / (v_hat.sqrt() + eps), m, v
""", 'tr-adam-test'),
    'early stopping that keeps the live state_dict, not a copy': ('tr-early', """
class EarlyStopping:
    def __init__(self, patience):
        self.patience = patience
        self.epoch, self.best_epoch, self.best_loss = -1, -1, math.inf
        self.best_state = None

    def step(self, val_loss, model):
        self.epoch += 1
        if val_loss < self.best_loss:
            self.best_epoch, self.best_loss = self.epoch, val_loss
            self.best_state = model.state_dict()
        return self.epoch - self.best_epoch >= self.patience

    def restore(self, model):
        model.load_state_dict(self.best_state)
""", 'tr-early-test'),
    'early stopping that counts a tie as an improvement': ('tr-early', """
class EarlyStopping:
    def __init__(self, patience):
        self.patience = patience
        self.epoch, self.best_epoch, self.best_loss = -1, -1, math.inf
        self.best_state = None

    def step(self, val_loss, model):
        self.epoch += 1
        if val_loss <= self.best_loss:
            self.best_epoch, self.best_loss = self.epoch, val_loss
            self.best_state = copy.deepcopy(model.state_dict())
        return self.epoch - self.best_epoch >= self.patience

    def restore(self, model):
        model.load_state_dict(self.best_state)
""", 'tr-early-test'),
    'early stopping one epoch late (> patience)': ('tr-early', """
class EarlyStopping:
    def __init__(self, patience):
        self.patience = patience
        self.epoch, self.best_epoch, self.best_loss = -1, -1, math.inf
        self.best_state = None

    def step(self, val_loss, model):
        self.epoch += 1
        if val_loss < self.best_loss:
            self.best_epoch, self.best_loss = self.epoch, val_loss
            self.best_state = copy.deepcopy(model.state_dict())
        return self.epoch - self.best_epoch > self.patience

    def restore(self, model):
        model.load_state_dict(self.best_state)
""", 'tr-early-test'),
    'a patience counter that is never reset by an improvement': ('tr-early', """
class EarlyStopping:
    def __init__(self, patience):
        self.patience = patience
        self.epoch, self.best_epoch, self.best_loss = -1, -1, math.inf
        self.best_state = None
        self.bad_epochs = 0

    def step(self, val_loss, model):
        self.epoch += 1
        if val_loss < self.best_loss:
            self.best_epoch, self.best_loss = self.epoch, val_loss
            self.best_state = copy.deepcopy(model.state_dict())
        else:
            self.bad_epochs += 1
        return self.bad_epochs >= self.patience

    def restore(self, model):
        model.load_state_dict(self.best_state)
""", 'tr-early-test'),
    'epochs numbered from 1': ('tr-early', """
class EarlyStopping:
    def __init__(self, patience):
        self.patience = patience
        self.epoch, self.best_epoch, self.best_loss = 0, 0, math.inf
        self.best_state = None

    def step(self, val_loss, model):
        self.epoch += 1
        if val_loss < self.best_loss:
            self.best_epoch, self.best_loss = self.epoch, val_loss
            self.best_state = copy.deepcopy(model.state_dict())
        return self.epoch - self.best_epoch >= self.patience

    def restore(self, model):
        model.load_state_dict(self.best_state)
""", 'tr-early-test'),
}
