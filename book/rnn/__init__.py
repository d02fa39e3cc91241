"""Recurrent networks from scratch: cells, BPTT written out, sequence models; ``egru``, the
event-based GRU of the research labs."""
from .. import device  # noqa: F401 - torch on the course's CPU threads (book.device)
from .cells import CELLS, GRUCell, LSTMCell, RNNCell
from .layers import Recurrent, SequenceModel

__all__ = ["CELLS", "GRUCell", "LSTMCell", "RNNCell", "Recurrent", "SequenceModel"]
