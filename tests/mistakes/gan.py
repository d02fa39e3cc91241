"""Common mistakes in the gan exercise, each caught by a visible test."""

MISTAKES = {
    "softplus as log(1 + exp(u)), which overflows": ('gan-d-loss', """
def softplus(u):
    return torch.log(1 + torch.exp(u))


def discriminator_loss(real_logits, fake_logits):
    return softplus(-real_logits).mean() + softplus(fake_logits).mean()
""", 'gan-d-loss-test'),
    "the labels swapped": ('gan-d-loss', """
def softplus(u):
    return torch.clamp(u, min=0) + torch.log1p(torch.exp(-torch.abs(u)))


def discriminator_loss(real_logits, fake_logits):
    return softplus(real_logits).mean() + softplus(-fake_logits).mean()
""", 'gan-d-loss-test'),
    "one mean over both sets of logits": ('gan-d-loss', """
def softplus(u):
    return torch.clamp(u, min=0) + torch.log1p(torch.exp(-torch.abs(u)))


def discriminator_loss(real_logits, fake_logits):
    return torch.cat([softplus(-real_logits), softplus(fake_logits)]).mean()
""", 'gan-d-loss-test'),
    "the minimax loss with the wrong sign": ('gan-g-loss', """
def generator_loss(fake_logits, kind="non-saturating"):
    if kind == "minimax":
        return softplus(fake_logits).mean()
    if kind == "non-saturating":
        return softplus(-fake_logits).mean()
    raise ValueError(kind)
""", 'gan-g-loss-test'),
    "the two losses swapped": ('gan-g-loss', """
def generator_loss(fake_logits, kind="non-saturating"):
    if kind == "non-saturating":
        return -softplus(fake_logits).mean()
    if kind == "minimax":
        return softplus(-fake_logits).mean()
    raise ValueError(kind)
""", 'gan-g-loss-test'),
    "an unknown kind taken as non-saturating": ('gan-g-loss', """
def generator_loss(fake_logits, kind="non-saturating"):
    if kind == "minimax":
        return -softplus(fake_logits).mean()
    return softplus(-fake_logits).mean()
""", 'gan-g-loss-test'),
    "the gradients zeroed after the backward pass": ('gan-step', """
def train_step(generator, discriminator, d_optimizer, g_optimizer, real, noise, kind="non-saturating"):
    d_loss = discriminator_loss(discriminator(real), discriminator(generator(noise).detach()))
    d_loss.backward()
    d_optimizer.zero_grad()
    d_optimizer.step()
    g_loss = generator_loss(discriminator(generator(noise)), kind)
    g_loss.backward()
    g_optimizer.zero_grad()
    g_optimizer.step()
    return d_loss.item(), g_loss.item()
""", 'gan-step-test'),
    "the generator's points not detached, its gradients not zeroed": ('gan-step', """
def train_step(generator, discriminator, d_optimizer, g_optimizer, real, noise, kind="non-saturating"):
    d_loss = discriminator_loss(discriminator(real), discriminator(generator(noise)))
    d_optimizer.zero_grad()
    d_loss.backward()
    d_optimizer.step()
    g_loss = generator_loss(discriminator(generator(noise)), kind)
    g_loss.backward()
    g_optimizer.step()
    return d_loss.item(), g_loss.item()
""", 'gan-step-test'),
    "the discriminator stepped again after the generator's backward pass": ('gan-step', """
def train_step(generator, discriminator, d_optimizer, g_optimizer, real, noise, kind="non-saturating"):
    d_loss = discriminator_loss(discriminator(real), discriminator(generator(noise).detach()))
    d_optimizer.zero_grad()
    d_loss.backward()
    g_loss = generator_loss(discriminator(generator(noise)), kind)
    g_optimizer.zero_grad()
    g_loss.backward()
    d_optimizer.step()
    g_optimizer.step()
    return d_loss.item(), g_loss.item()
""", 'gan-step-test'),
}
