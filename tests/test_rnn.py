"""The from-scratch recurrent cells and BPTT against torch, on random weights and inputs.

Every BPTT test runs twice: with the compiled loops (book/rnn/fused.cpp) and with the PyTorch
loops of book/rnn/bptt.py."""
import os
import shutil
import warnings

import numpy as np
import pytest
import torch

from book.rnn import CELLS, Recurrent, SequenceModel, fused

TORCH_CELLS = {"rnn": torch.nn.RNNCell, "gru": torch.nn.GRUCell, "lstm": torch.nn.LSTMCell}
TORCH_LAYERS = {"rnn": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}
KINDS = sorted(CELLS)


def layer_pair(kind, input_size=3, hidden_size=6, seed=0):
    torch.manual_seed(seed)
    reference = TORCH_LAYERS[kind](input_size, hidden_size)
    ours = Recurrent(kind, input_size, hidden_size)
    ours.cell.load_state_dict({k.replace("_l0", ""): v for k, v in reference.state_dict().items()})
    return ours, reference


def grads(parameters):
    return [p.grad.clone() for p in parameters]


@pytest.fixture(params=["compiled", "pytorch"])
def loops(request, monkeypatch):
    """Which loops BPTT runs on the CPU for one model."""
    monkeypatch.setattr(fused, "ENABLED", request.param == "compiled")
    if request.param == "compiled" and fused.ops() is None:
        pytest.skip("no C++ compiler here (test_compiled_loops_build_where_there_is_a_compiler)")
    return request.param


def test_compiled_loops_build_where_there_is_a_compiler():
    if shutil.which(os.environ.get("CXX", "c++")) is None:
        pytest.skip("no C++ compiler on this machine")
    assert fused.ops() is not None


def test_without_a_compiler_the_pytorch_loops_run_with_a_warning(monkeypatch):
    def no_compiler(verbose=False):
        raise RuntimeError("Error building extension 'book_rnn_fused': c++: not found")
    monkeypatch.setattr(fused, "_load", no_compiler)
    fused.ops.cache_clear()
    try:
        with pytest.warns(UserWarning, match="could not be built .*c\\+\\+: not found.*PyTorch loops"):
            assert not fused.usable(torch.zeros(3, 3))
        torch.manual_seed(0)
        model = SequenceModel("gru", 1, 4, 1)
        record = []
        model(torch.randn(5, 2, 1), record=record).sum().backward()
        assert record[0].shape == (5,) and model.recurrent.cell.weight_hh.grad.abs().sum() > 0
    finally:
        fused.ops.cache_clear()


def run_and_differentiate(kind, x, seed, dtype):
    """All states, parameter and input gradients and the recorded norms of one model."""
    torch.manual_seed(seed)
    model = Recurrent(kind, x.shape[-1], 7).to(dtype)
    x = x.to(dtype).requires_grad_()
    record = []
    H, state = model(x, record=record)
    loss = (H * torch.linspace(-1, 1, H.shape[-1], dtype=dtype)).sum()
    if kind == "lstm":
        loss = loss + state[1].pow(2).sum()          # a gradient through the last cell state
    loss.backward()
    return [H.detach(), x.grad, record[0], *grads(model.cell.parameters())]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("steps, batch", [(1, 1), (9, 3), (40, 32)])
def test_compiled_loops_equal_pytorch_loops(kind, steps, batch, monkeypatch):
    if fused.ops() is None:
        pytest.skip("no C++ compiler here")
    x = torch.randn(steps, batch, 2, generator=torch.Generator().manual_seed(steps))
    for dtype in (torch.float64, torch.float32):
        monkeypatch.setattr(fused, "ENABLED", True)
        compiled = run_and_differentiate(kind, x, steps + batch, dtype)
        monkeypatch.setattr(fused, "ENABLED", False)
        reference = run_and_differentiate(kind, x, steps + batch, dtype)
        tolerance = 1e-10 if dtype == torch.float64 else 1e-5
        for a, b in zip(compiled, reference):
            assert a.dtype == dtype
            assert torch.allclose(a, b, rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("kind", KINDS)
def test_cell_output_and_gradients_equal_torch(kind):
    torch.manual_seed(1)
    reference = TORCH_CELLS[kind](4, 5)
    ours = CELLS[kind](4, 5)
    ours.load_state_dict(reference.state_dict())          # same names, same shapes
    x = torch.randn(8, 4)
    state = (torch.randn(8, 5), torch.randn(8, 5)) if kind == "lstm" else torch.randn(8, 5)
    out, ref = ours(x, state), reference(x, state)
    out, ref = (out[0] + 2 * out[1], ref[0] + 2 * ref[1]) if kind == "lstm" else (out, ref)
    assert torch.allclose(out, ref, atol=1e-5)
    weights = torch.randn_like(out)
    (out * weights).sum().backward()
    (ref * weights).sum().backward()
    for a, b in zip(grads(ours.parameters()), grads(reference.parameters())):
        assert torch.allclose(a, b, atol=1e-5)


@pytest.mark.parametrize("kind", KINDS)
def test_written_out_bptt_equals_torch_layers(kind, loops):
    ours, reference = layer_pair(kind)
    x = torch.randn(30, 4, 3, requires_grad=True)
    x_ref = x.detach().clone().requires_grad_()
    H, _ = ours(x)
    H_ref, _ = reference(x_ref)
    assert torch.allclose(H, H_ref, atol=1e-5)
    weights = torch.randn_like(H)
    (H * weights).sum().backward()
    (H_ref * weights).sum().backward()
    for a, b in zip(grads(ours.cell.parameters()), grads(reference.parameters())):
        assert torch.allclose(a, b, atol=1e-5)
    assert torch.allclose(x.grad, x_ref.grad, atol=1e-5)


@pytest.mark.parametrize("kind", KINDS)
def test_initial_state_gradient(kind, loops):
    ours, reference = layer_pair(kind, seed=2)
    x = torch.randn(12, 3, 3)
    h0 = torch.randn(3, 6, requires_grad=True)
    state = (h0, torch.zeros(3, 6)) if kind == "lstm" else h0
    H, _ = ours(x, state)
    H.sum().backward()
    h0_ref = h0.detach().clone().requires_grad_()
    ref_state = (h0_ref[None], torch.zeros(1, 3, 6)) if kind == "lstm" else h0_ref[None]
    reference(x, ref_state)[0].sum().backward()
    assert torch.allclose(h0.grad, h0_ref.grad, atol=1e-5)


@pytest.mark.parametrize("kind", KINDS)
def test_recorded_norms_equal_autograd_hidden_state_gradients(kind, loops):
    ours, _ = layer_pair(kind, seed=3)
    x = torch.randn(25, 4, 3)
    target = torch.randn(4, 6)
    record = []
    H, _ = ours(x, record=record)
    ((H[-1] - target) ** 2).sum().add((H[5] ** 2).sum()).backward()
    states = []
    state = None
    for x_t in x:                                   # the plain loop, hidden states kept
        state = ours.cell(x_t, state)
        h = state[0] if kind == "lstm" else state
        h.retain_grad()
        states.append(h)
    ((states[-1] - target) ** 2).sum().add((states[5] ** 2).sum()).backward()
    expected = torch.stack([h.grad.norm() for h in states])
    assert record[0].shape == (25,)
    assert torch.allclose(record[0], expected, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("kind", KINDS)
def test_k_models_batched_equal_k_separate_models(kind, loops):
    torch.manual_seed(4)
    batched = Recurrent(kind, 2, 5, n_models=3)
    x = torch.randn(15, 3, 4, 2)
    record = []
    H, _ = batched(x, record=record)
    H.pow(2).sum().backward()
    for k in range(3):
        single = Recurrent(kind, 2, 5)
        single.cell.load_state_dict({n: p[k] for n, p in batched.cell.state_dict().items()})
        single_record = []
        H_k, _ = single(x[:, k], record=single_record)
        H_k.pow(2).sum().backward()
        assert torch.allclose(H[:, k], H_k, atol=1e-6)
        for name, p in single.cell.named_parameters():
            assert torch.allclose(getattr(batched.cell, name).grad[k], p.grad, atol=1e-5), name
        assert torch.allclose(record[0][:, k], single_record[0], rtol=1e-5)


@pytest.mark.parametrize("kind", KINDS)
def test_a_stack_of_one_model_is_that_model(kind, loops):
    """K = 1 runs as one model (the trainer's case): with the compiled loops, the same numbers."""
    def same(a, b):
        return torch.equal(a, b) if loops == "compiled" else torch.allclose(a, b, atol=1e-6)
    torch.manual_seed(7)
    stacked = Recurrent(kind, 2, 5, n_models=1)
    single = Recurrent(kind, 2, 5)
    single.cell.load_state_dict({n: p[0] for n, p in stacked.cell.state_dict().items()})
    x = torch.randn(12, 1, 3, 2, requires_grad=True)
    x_single = x.detach()[:, 0].clone().requires_grad_()
    record, single_record = [], []
    H, state = stacked(x, record=record)
    H_single, state_single = single(x_single, record=single_record)
    last = (state[1], state_single[1]) if kind == "lstm" else (state, state_single)
    assert H.shape == (12, 1, 3, 5) and last[0].shape == (1, 3, 5)
    assert same(H[:, 0], H_single) and same(last[0][0], last[1])
    (H.pow(2).sum() + last[0].sum()).backward()
    (H_single.pow(2).sum() + last[1].sum()).backward()
    assert record[0].shape == (12, 1) and same(record[0][:, 0], single_record[0])
    assert same(x.grad[:, 0], x_single.grad)
    for name, p in single.cell.named_parameters():
        assert same(getattr(stacked.cell, name).grad[0], p.grad), name


def test_sequence_tasks_have_the_documented_structure():
    from book.data.sequences import TASKS, adding_problem, copy_task, digits_sequence, temporal_order

    g = torch.Generator().manual_seed(0)
    x, y = adding_problem(2000, 40, g)
    assert x.shape == (40, 2000, 2) and (x[..., 1].sum(0) == 2).all()
    assert torch.allclose(y, (x[..., 0] * x[..., 1]).sum(0))
    assert abs(((y - 1) ** 2).mean().item() - TASKS["adding"](40).baseline) < 0.01
    x, y = copy_task(8, 20, generator=g)
    assert x.shape == (30, 8, 10) and (y[:-5] == 0).all()
    assert torch.equal(x[:5, :, :8].argmax(-1) + 1, y[-5:])
    x, y = temporal_order(500, 50, g)
    assert x.shape == (50, 500, 6) and set(y.tolist()) == {0, 1, 2, 3}
    assert digits_sequence("rows")[0].shape == (8, 1797, 8)
    assert digits_sequence("pixels")[0].shape == (64, 1797, 1)


def test_truncated_bptt_stops_the_gradient_at_the_window(loops):
    torch.manual_seed(5)
    layer = Recurrent("gru", 2, 6)
    record = []
    H, _ = layer(torch.randn(30, 3, 2), record=record, truncate=10)
    H[-1].sum().backward()
    norms = record[0].tensor()
    assert (norms[:20] == 0).all() and (norms[20:] > 0).all()


def test_a_run_can_stop_where_it_diverges():
    from book.rnn.train import Trainer

    def trainer(rate):                  # the clipping chapter's network: rate 0.1 diverges
        return Trainer(kind="rnn", task="adding", length=10, hidden_size=32, learning_rate=rate,
                       init="gaussian", gains=(1.5,), seed=0)
    history = trainer(0.1).run(200, stop_if_diverged=True)
    assert 0 <= history.diverged_at[0] < 199 and len(history.loss) == history.diverged_at[0] + 1
    assert not np.isfinite(history.loss[-1]).all()
    assert len(trainer(0.001).run(20, stop_if_diverged=True).loss) == 20


def test_chrono_init_sets_timescales_up_to_t_max():
    from book.rnn import LSTMCell
    from book.rnn.train import chrono_init_

    cell = LSTMCell(2, 200)
    chrono_init_(cell, t_max=50, generator=torch.Generator().manual_seed(0))
    b_f = (cell.bias_ih + cell.bias_hh)[200:400].detach()
    timescale = 1 / (1 - torch.sigmoid(b_f))
    assert 1.9 < timescale.min() < 3 and 35 < timescale.max() <= 50
    assert torch.allclose((cell.bias_ih + cell.bias_hh)[:200], -b_f)


@pytest.mark.parametrize("kind", KINDS)
def test_k_models_on_one_broadcast_input_equal_separate_models(kind, loops):
    torch.manual_seed(6)
    batched = Recurrent(kind, 2, 4, n_models=3)
    x = torch.randn(12, 1, 5, 2)                      # one batch, shared by the 3 models
    H, _ = batched(x)
    H.pow(2).sum().backward()
    for k in range(3):
        single = Recurrent(kind, 2, 4)
        single.cell.load_state_dict({n: p[k] for n, p in batched.cell.state_dict().items()})
        H_k, _ = single(x[:, 0])
        H_k.pow(2).sum().backward()
        assert torch.allclose(H[:, k], H_k, atol=1e-6)
        for name, p in single.cell.named_parameters():
            assert torch.allclose(getattr(batched.cell, name).grad[k], p.grad, atol=1e-5), name


@pytest.mark.parametrize("kind", KINDS)
def test_written_out_training_step_equals_autograd(kind):
    """The trainer's step without autograd (SquaredErrorStep) gives autograd's numbers."""
    from book.rnn.train import SquaredErrorStep
    if not fused.usable(torch.zeros(2, 2)):
        pytest.skip("the written-out step serves the compiled loops only")
    torch.manual_seed(8)
    model = SequenceModel(kind, 2, 6, 1, n_models=1)
    x, target = torch.randn(15, 1, 4, 2), torch.randn(4)
    record = []
    loss = ((model(x, record=record).squeeze(-1) - target) ** 2).mean(dim=-1)
    loss.sum().backward()
    expected = [p.grad.clone() for p in model.parameters()]
    for p in model.parameters():
        p.grad = torch.zeros_like(p)      # (autograd may have given two biases one tensor)
    written, norms = SquaredErrorStep(model)(x[:, 0], target)
    assert torch.equal(written, loss.detach()) and torch.equal(norms.unsqueeze(-1), record[0])
    for p, g in zip(model.parameters(), expected):
        assert torch.equal(p.grad, g)
