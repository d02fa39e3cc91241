"""The Neumann-Cayley orthogonal GRU (NC-GRU, Mucllari et al. 2022): a GRU whose candidate's
recurrent weight stays orthogonal.

The candidate's recurrent weight is the scaled Cayley transform of a skew-symmetric A,

    W = (I + A)^-1 (I - A) D,     A = -A^T,   D = diag(+-1),

orthogonal for every A (D lets W have eigenvalues -1, which the plain transform cannot).
Inverting I + A at every step would cost a solve; the NC-GRU instead carries M = (I + A0)^-1 from
one training step to the next: after A0 moves to A0 + delta, the Neumann series

    (I + A0 + delta)^-1 = sum_k (-M delta)^k M

with a few terms updates M (``refresh``). Between refreshes the forward pass uses the
first-order term, M - M delta M, whose derivative with respect to A is the exact inverse's,
-M dA M, where delta = 0. Truncating the series lets W drift from orthogonal; the cell reports
by how much (``orthogonality_error``).

Parameters: the GRU's ``weight_ih`` (3H, in), ``bias_ih`` and ``bias_hh`` (3H,), torch's gate
blocks (r, z, n); ``weight_hh`` holds only the (r, z) blocks (2H, H); ``skew`` (H, H), whose
strictly upper triangle defines A; D has ``n_negative`` entries -1 (half by default).
"""
import torch
from torch import nn

from .cells import RecurrentCell


def skew_symmetric(weight):
    """A = U - U^T, U the strictly upper triangle of ``weight``."""
    upper = torch.triu(weight, diagonal=1)
    return upper - upper.transpose(-1, -2)


def neumann_inverse(inverse, delta, terms=2):
    """(I + A0 + delta)^-1 from M = (I + A0)^-1: the Neumann series sum_{k<terms} (-M delta)^k M."""
    step, total = inverse, inverse
    for _ in range(terms - 1):
        step = -inverse @ delta @ step
        total = total + step
    return total


def scaled_cayley(skew, scaling, inverse=None):
    """(I + A)^-1 (I - A) D: with ``inverse`` (I + A)^-1 given, or solved exactly if None."""
    eye = torch.eye(skew.shape[-1], dtype=skew.dtype, device=skew.device)
    if inverse is None:
        return torch.linalg.solve(eye + skew, eye - skew) * scaling
    return inverse @ (eye - skew) * scaling


def orthogonality_error(weight):
    """||W^T W - I|| (Frobenius): 0 for an orthogonal W; one value per model for a stack."""
    with torch.no_grad():
        eye = torch.eye(weight.shape[-1], dtype=weight.dtype, device=weight.device)
        error = torch.linalg.matrix_norm(weight.transpose(-1, -2) @ weight - eye)
    return error.item() if error.dim() == 0 else error.cpu().numpy()


class NCGRUCell(RecurrentCell):
    """A GRU whose candidate weight W_hn is kept orthogonal by the Neumann-Cayley update.

    Its step is the GRU's (``gru_cell``) with ``weight_hh`` = [W_hr; W_hz; W] composed by
    ``step_parameters``, so it runs on the GRU's written-out and compiled loops. After each
    optimizer step call ``refresh`` (the course's Trainer does). ``terms`` of the Neumann
    series carry the inverse; with ``n_models=K`` every parameter and buffer has a model axis.
    """

    kind = "ncgru"

    def __init__(self, input_size, hidden_size, n_models=None, n_negative=None, terms=4, generator=None):
        super().__init__(input_size, hidden_size, n_models, generator)
        lead = () if n_models is None else (n_models,)
        self.weight_hh = nn.Parameter(self.weight_hh.detach()[..., :2 * hidden_size, :].clone())
        self.skew = nn.Parameter(torch.empty(*lead, hidden_size, hidden_size).uniform_(
            -hidden_size ** -0.5, hidden_size ** -0.5, generator=generator))
        n_negative = hidden_size // 2 if n_negative is None else n_negative
        self.register_buffer("scaling", torch.cat([-torch.ones(n_negative),
                                                   torch.ones(hidden_size - n_negative)]))
        self.terms = terms
        self.register_buffer("inverse", torch.empty(*lead, hidden_size, hidden_size))
        self.register_buffer("skew_at_inverse", torch.empty(*lead, hidden_size, hidden_size))
        self.reset_inverse()

    @torch.no_grad()
    def reset_inverse(self):
        """M = (I + A)^-1 exactly (at the start, or to measure what the series loses)."""
        A = skew_symmetric(self.skew)
        self.inverse.copy_(torch.linalg.inv(torch.eye(self.hidden_size, device=A.device) + A))
        self.skew_at_inverse.copy_(A)

    @torch.no_grad()
    def refresh(self):
        """After an optimizer step: carry M to the new A by the Neumann series."""
        A = skew_symmetric(self.skew)
        self.inverse.copy_(neumann_inverse(self.inverse, A - self.skew_at_inverse, self.terms))
        self.skew_at_inverse.copy_(A)

    def weight_hn(self):
        """The candidate's recurrent weight W, differentiable in ``skew`` (first-order series
        around the carried M: its value is M's, its derivative the exact inverse's)."""
        A = skew_symmetric(self.skew)
        return scaled_cayley(A, self.scaling, neumann_inverse(self.inverse, A - self.skew_at_inverse, 2))

    def step_parameters(self):
        weight_hh = torch.cat([self.weight_hh, self.weight_hn()], dim=-2)
        return self.weight_ih, weight_hh, self.bias_ih, self.bias_hh

    def orthogonality_error(self):
        """||W^T W - I|| of the W the cell uses (per model)."""
        return orthogonality_error(self.weight_hn())
