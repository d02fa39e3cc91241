"""Live controls over ``book`` functions. Each widget is a thin shell that tests drive headless."""
from .tsne_explorer import TSNEExplorer

__all__ = ["TSNEExplorer"]
