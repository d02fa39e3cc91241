"""Live controls over ``book`` functions. Each widget is a thin shell that tests drive headless."""
from .bandit_lab import BanditLab
from .cartpole_trainer import CartPoleTrainer
from .cliff_explorer import CliffExplorer
from .clipping import ClippingExplorer
from .dqn_trainer import DQNTrainer
from .gated_race import GatedRace
from .gradient_flow import GradientFlowExplorer
from .gridworld_planner import GridworldPlanner
from .optimizer_race import OptimizerRace
from .playground import Playground
from .tsne_explorer import TSNEExplorer

__all__ = ["BanditLab", "CartPoleTrainer", "CliffExplorer", "ClippingExplorer", "DQNTrainer", "GatedRace", "GradientFlowExplorer", "GridworldPlanner", "OptimizerRace", "Playground", "TSNEExplorer"]
