"""Running a cell over a sequence, and a sequence model with a linear readout."""
import torch
from torch import nn

from . import fused
from .bptt import GRUFunction, LSTMFunction, TanhRNNFunction
from .bptt import _step_norms
from .cells import CELLS
from .egru import EGRUCell
from .gatel0rd import GateL0RDCell
from .ncgru import NCGRUCell
from .state_regularized import StateRegularizedGRUCell
from .taugru import TauGRUCell, TauGRUFunction, past_of, state_after

# the research labs' cells beside torch's three; the NC-GRU is a GRU with a composed weight_hh
KINDS = {**CELLS, "ncgru": NCGRUCell, "egru": EGRUCell, "gatel0rd": GateL0RDCell, "taugru": TauGRUCell,
         "srgru": StateRegularizedGRUCell}
FUNCTIONS = {"rnn": TanhRNNFunction, "gru": GRUFunction, "ncgru": GRUFunction}
WRITTEN_OUT = {*FUNCTIONS, "lstm", "taugru"}    # kinds with whole-sequence loops (others: autograd)


class Recurrent(nn.Module):
    """A cell unrolled over time. Inputs are time first: (T, [K,] B, input_size).

    ``forward`` uses the written-out BPTT of ``book.rnn.bptt`` and, given a list ``record``,
    appends the norms ||dL/dh_t|| of each backward pass; ``forward_stepwise`` is the plain
    loop over the cell that autograd differentiates, kept as the reference.
    Returns all hidden states (T, [K,] B, H) and the final state. Where the compiled loops of
    ``book.rnn.fused`` serve, a stack of K models runs as K single models, one after another
    (the same numbers up to rounding; the batched PyTorch loops take longer than all K: a
    dozen small operations per step).
    """

    def __init__(self, kind, input_size, hidden_size, n_models=None):
        super().__init__()
        self.kind = kind
        self.cell = KINDS[kind](input_size, hidden_size, n_models)

    def forward(self, x, state=None, record=None, truncate=None):
        """All hidden states and the final state. With ``truncate=k`` (truncated BPTT) the
        state is detached every k steps, so no gradient flows back further than k steps."""
        state = self.cell.init_state(x.shape[-2]) if state is None else state
        if truncate:
            outputs, chunk_records = [], []
            for chunk in x.split(truncate):
                chunk_record = [] if record is not None else None
                H, state = self.forward(chunk, state, chunk_record)
                outputs.append(H)
                chunk_records.append(chunk_record)
                state = tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()
            if record is not None:
                record.append(_Concatenated(chunk_records))
            return torch.cat(outputs), state
        parameters = self.cell.step_parameters()
        models = self.cell.n_models
        if models and x.dim() == 4 and self.kind in WRITTEN_OUT and fused.usable(self.cell.weight_hh[0]):
            return self._one_by_one(x, state, parameters, record)
        return self._run(x, state, parameters, record)

    def _run(self, x, state, parameters, record):
        """The written-out BPTT of one call: all hidden states and the final state. A cell
        without written-out loops (the research labs' EGRU, GateL0RD, state-regularized GRU, and the
        tau-GRU where the compiled loops cannot serve) runs step by
        step under autograd; ``record`` then gets the norms of the gradients that reach each
        step's output."""
        if self.kind == "taugru" and fused.usable(parameters[1]):
            past = past_of(state)
            H = TauGRUFunction.apply(x, past, *parameters, self.cell.delay, record)
            return H, state_after(past, H)
        if self.kind not in FUNCTIONS and self.kind != "lstm":      # (a tau-GRU here: no compiled loops)
            return self._run_stepwise(x, state, record)
        if self.kind == "lstm":
            H, c = LSTMFunction.apply(x, *state, *parameters, record)
            return H, (H[-1], c)
        H = FUNCTIONS[self.kind].apply(x, state, *parameters, record)
        return H, H[-1]

    def _one_by_one(self, x, state, parameters, record):
        """K models run one after another on the compiled loops, each as a model of its own
        (its slice of every parameter, of the state, and of x, or all of x when it is shared:
        (T, 1, B, I)); the states are stacked back into (T, K, B, H). K = 1 included: the
        model axis dropped and put back."""
        models = self.cell.n_models
        xs = x.expand(-1, models, -1, -1).unbind(1)
        states = zip(*(s.unbind(0) for s in state)) if isinstance(state, tuple) else state.unbind(0)
        slices = zip(*(p.unbind(0) for p in parameters))
        records = PerModelRecord(record, models) if record is not None else [None] * models
        runs = [self._run(x_k, state_k, parameters_k, records[k])
                for k, (x_k, state_k, parameters_k) in enumerate(zip(xs, states, slices))]
        outputs, finals = zip(*runs)
        final = tuple(torch.stack(s) for s in zip(*finals)) if isinstance(finals[0], tuple) \
            else torch.stack(finals)
        return torch.stack(outputs, dim=1), final

    def forward_stepwise(self, x, state=None):
        outputs, state = self._steps(x, state)
        return torch.stack(outputs), state

    def _steps(self, x, state):
        """The cell stepped over x: each step's output (a list) and the final state."""
        outputs = []
        for x_t in x:
            state = self.cell(x_t, state)
            outputs.append(self.cell.output(state))
        return outputs, state

    def _run_stepwise(self, x, state, record):
        """The cell's loop under autograd; ``record`` gets ||dL/d output_t|| for every step, the
        whole gradient where the output is the state the next step reads (GateL0RD, tau-GRU),
        the readout's share where the step reads more (the EGRU's c and e)."""
        outputs, state = self._steps(x, state)
        if record is not None and outputs[0].requires_grad:
            norms = [None] * len(outputs)

            def keep(t):
                def hook(grad):
                    norms[t] = _step_norms(grad)
                    if all(n is not None for n in norms):
                        record.append(torch.stack(norms))
                return hook
            for t, output in enumerate(outputs):
                output.register_hook(keep(t))
        return torch.stack(outputs), state


class PerModelRecord:
    """A ``record`` shared by K models run one by one: each backward pass appends one norm
    tensor (T,) per model, in any order; once all K are in, they go into ``record`` as one
    (T, K) tensor, as a batched model's would."""

    def __init__(self, record, models):
        self.record, self.norms = record, [None] * models

    def __getitem__(self, k):
        return _ModelSlot(self, k)

    def put(self, k, norms):
        self.norms[k] = norms
        if all(n is not None for n in self.norms):
            self.record.append(torch.stack(self.norms, dim=-1))
            self.norms = [None] * len(self.norms)


class _ModelSlot:
    """Model k's place in a ``PerModelRecord`` record."""

    def __init__(self, shared, k):
        self.shared, self.k = shared, k

    def append(self, norms):
        self.shared.put(self.k, norms)


class _Concatenated:
    """Per-chunk gradient-norm records, readable as one (T, ...) tensor after backward."""

    def __init__(self, chunk_records):
        self.chunk_records = chunk_records

    def tensor(self):
        return torch.cat([r[0] if r else torch.zeros(0) for r in self.chunk_records])


class SequenceModel(nn.Module):
    """Recurrent layer + linear readout of the hidden state, at every step or the last one."""

    def __init__(self, kind, input_size, hidden_size, output_size, n_models=None):
        super().__init__()
        self.recurrent = Recurrent(kind, input_size, hidden_size, n_models)
        lead = () if n_models is None else (n_models,)
        self.weight_out = nn.Parameter(torch.empty(*lead, output_size, hidden_size))
        self.bias_out = nn.Parameter(torch.zeros(*lead, output_size))
        nn.init.uniform_(self.weight_out, -hidden_size ** -0.5, hidden_size ** -0.5)

    def forward(self, x, record=None, every_step=False, truncate=None):
        H, _ = self.recurrent(x, record=record, truncate=truncate)
        H = H if every_step else H[-1]
        return H @ self.weight_out.transpose(-1, -2) + self.bias_out.unsqueeze(-2)
