"""Interpretability: what a trained network responds to, and how little it takes to fool it.

``adversarial`` (FGSM and PGD attacks in an L-infinity ball, random noise of the same size as
their control, and the accuracy of a classifier under each).
"""
