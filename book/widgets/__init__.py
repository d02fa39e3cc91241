"""Live controls over ``book`` functions. Each widget is a thin shell that tests drive headless.

A widget's module is imported when the widget is first asked for (``from book.widgets import
Playground``): a page pays for the widgets it shows, not for all of them.
"""
import importlib

MODULES = {
    "Adversary": "adversary", "BanditLab": "bandit_lab", "CartPoleTrainer": "cartpole_trainer",
    "CliffExplorer": "cliff_explorer", "ClippingExplorer": "clipping", "DQNTrainer": "dqn_trainer",
    "GANArena": "gan_arena",
    "GatedRace": "gated_race", "GradientFlowExplorer": "gradient_flow",
    "GridworldPlanner": "gridworld_planner", "MemoryDistanceExplorer": "memory_distance",
    "OptimizerRace": "optimizer_race",
    "Playground": "playground", "TSNEExplorer": "tsne_explorer", "VAEExplorer": "vae_explorer",
}
__all__ = sorted(MODULES)


def __getattr__(name):
    if name in MODULES:
        return getattr(importlib.import_module(f"{__name__}.{MODULES[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
