"""Interpretability: what a trained network responds to, and how little it takes to fool it.

``dreaming`` (inputs optimized for a class, with and without a prior on images; saliency
maps and their deletion test); ``adversarial`` (FGSM and PGD attacks in an L-infinity ball, random noise of the same size as
their control, and the accuracy of a classifier under each).
"""
