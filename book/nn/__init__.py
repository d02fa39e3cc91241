"""Dense networks: the neuron, layers, backpropagation written out, optimizers from scratch."""
from .dense import ACTIVATIONS, MLP, TwoLayerNet
from .optimizers import OPTIMIZERS

__all__ = ["ACTIVATIONS", "MLP", "OPTIMIZERS", "TwoLayerNet"]
