"""Dense networks: the neuron, layers, backpropagation written out, optimizers from scratch."""
from .. import device  # noqa: F401 - torch on the course's CPU threads (book.device)
from .dense import ACTIVATIONS, MLP, TwoLayerNet
from .optimizers import OPTIMIZERS

__all__ = ["ACTIVATIONS", "MLP", "OPTIMIZERS", "TwoLayerNet"]
