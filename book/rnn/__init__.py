"""Recurrent networks from scratch: cells, BPTT written out, sequence models."""
from .cells import CELLS, GRUCell, LSTMCell, RNNCell
from .layers import Recurrent, SequenceModel

__all__ = ["CELLS", "GRUCell", "LSTMCell", "RNNCell", "Recurrent", "SequenceModel"]
