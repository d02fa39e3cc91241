"""Recurrent networks from scratch: cells, BPTT written out, sequence models; ``egru``
and ``gatel0rd``, the event-based GRU and the sparsely gated latent of the research labs."""
from .. import device  # noqa: F401 - torch on the course's CPU threads (book.device)
from .cells import CELLS, GRUCell, LSTMCell, RNNCell
from .layers import Recurrent, SequenceModel

__all__ = ["CELLS", "GRUCell", "LSTMCell", "RNNCell", "Recurrent", "SequenceModel"]
