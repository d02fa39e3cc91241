"""Common mistakes in the vae exercise, each caught by a visible test."""

MISTAKES = {
    "the variance for the standard deviation": ('vae-reparam', """
def reparameterize(mu, log_var, eps):
    return mu + torch.exp(log_var) * eps
""", 'vae-reparam-test'),
    "log_var read as the standard deviation": ('vae-reparam', """
def reparameterize(mu, log_var, eps):
    return mu + log_var * eps
""", 'vae-reparam-test'),
    "the draw cut off from the encoder": ('vae-reparam', """
def reparameterize(mu, log_var, eps):
    return (mu + torch.exp(0.5 * log_var) * eps).detach()
""", 'vae-reparam-test'),
    "the KL averaged over the latent dimensions": ('vae-kl', """
def gaussian_kl(mu, log_var):
    return 0.5 * (mu ** 2 + log_var.exp() - 1 - log_var).mean(dim=-1)
""", 'vae-kl-test'),
    "the KL without the -1": ('vae-kl', """
def gaussian_kl(mu, log_var):
    return 0.5 * (mu ** 2 + log_var.exp() - log_var).sum(dim=-1)
""", 'vae-kl-test'),
    "the log-variance used as the variance": ('vae-kl', """
def gaussian_kl(mu, log_var):
    return 0.5 * (mu ** 2 + log_var - 1 - torch.log(log_var.abs() + 1e-12)).sum(dim=-1)
""", 'vae-kl-test'),
    "the loss summed over the batch": ('vae-loss', """
def vae_loss(x, logits, mu, log_var, beta=1.0):
    reconstruction = F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(dim=-1)
    return (reconstruction + beta * gaussian_kl(mu, log_var)).sum()
""", 'vae-loss-test'),
    "the cross-entropy averaged over the pixels": ('vae-loss', """
def vae_loss(x, logits, mu, log_var, beta=1.0):
    reconstruction = F.binary_cross_entropy_with_logits(logits, x)
    return reconstruction + beta * gaussian_kl(mu, log_var).mean()
""", 'vae-loss-test'),
    "the cross-entropy from probabilities": ('vae-loss', """
def vae_loss(x, logits, mu, log_var, beta=1.0):
    reconstruction = F.binary_cross_entropy(torch.sigmoid(logits), x, reduction="none").sum(dim=-1)
    return (reconstruction + beta * gaussian_kl(mu, log_var)).mean()
""", 'vae-loss-test'),
    "beta on the reconstruction": ('vae-loss', """
def vae_loss(x, logits, mu, log_var, beta=1.0):
    reconstruction = F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(dim=-1)
    return (beta * reconstruction + gaussian_kl(mu, log_var)).mean()
""", 'vae-loss-test'),
}
