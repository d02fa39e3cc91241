"""Unsupervised learning with neural networks, one idea per module.

``rbm`` (restricted Boltzmann machines, contrastive divergence, and the exact likelihood of a
small one, where every visible state can be counted); ``autoencoder`` (linear, nonlinear and
denoising autoencoders against PCA, and a detector's ROC AUC); ``vae`` (variational
autoencoders, one per beta in lockstep); ``gan`` (generative adversarial networks on a ring of
Gaussians, several in lockstep, and the modes they cover; figures in ``gan_plots``);
``training`` (their shared loop: Adam on shuffled mini-batches of examples alone).
"""
