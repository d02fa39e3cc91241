"""Live controls over ``book`` functions. Each widget is a thin shell that tests drive headless."""
from .clipping import ClippingExplorer
from .gated_race import GatedRace
from .gradient_flow import GradientFlowExplorer
from .optimizer_race import OptimizerRace
from .playground import Playground
from .tsne_explorer import TSNEExplorer

__all__ = ["ClippingExplorer", "GatedRace", "GradientFlowExplorer", "OptimizerRace", "Playground", "TSNEExplorer"]
