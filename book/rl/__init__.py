"""Reinforcement learning, one idea per module.

``bandits`` (the k-armed testbed; epsilon-greedy, optimistic, UCB and gradient agents),
``mdp`` (finite MDPs as arrays, gridworlds, the particle on a ring; policy evaluation, policy
iteration, value iteration) and ``td`` (the cliff; TD(0), SARSA, Q-learning, expected SARSA)
are tabular: every value fits in an array and every agent runs many independent runs at once.
``tabular_plots`` draws their reward distributions, grids and phase spaces.
"""
from . import bandits, mdp, tabular_plots, td
from . import approx, deep_plots, dqn, envs, policy   # chapters 4 and 5: approximation, policy gradients
