"""Unsupervised learning with neural networks, one idea per module.

``rbm`` (restricted Boltzmann machines, contrastive divergence, and the exact likelihood of a
small one, where every visible state can be counted).
"""
