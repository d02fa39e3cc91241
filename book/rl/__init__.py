"""Reinforcement learning, one idea per module.

``bandits`` (the k-armed testbed; epsilon-greedy, optimistic, UCB and gradient agents),
``mdp`` (finite MDPs as arrays, gridworlds, the particle on a ring; policy evaluation, policy
iteration, value iteration) and ``td`` (the cliff; TD(0), SARSA, Q-learning, expected SARSA)
are tabular: every value fits in an array and every agent runs many independent runs at once.
``tabular_plots`` draws their reward distributions, grids and phase spaces.
``approx``, ``dqn``, ``policy``, ``envs`` and ``deep_plots`` (approximation and policy
gradients) train torch models.

Each module is imported when first used (``from book.rl import td``, or ``book.rl.td``), so
that a page pays only for what it uses: the tabular ones need numpy alone.
"""
import importlib

MODULES = ("approx", "bandits", "deep_plots", "dqn", "envs", "mdp", "policy", "tabular_plots", "td")


def __getattr__(name):
    if name in MODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
