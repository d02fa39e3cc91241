"""The research labs (book.labs): each method against autograd or its defining property, and
each lab page's effect pinned from its executed numbers."""
import numpy as np
import pytest
import torch

from book.labs import hamiltonian as hdnn


def test_sensitivities_are_the_jacobians_autograd_computes():
    x = torch.randn(3, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    for net in (hdnn.HamiltonianNet(depth=5), hdnn.ResidualNet(depth=5),
                hdnn.ResidualNet(depth=5, gradient_flow=True)):
        net.double()
        sensitivity = hdnn.sensitivities(net, x)
        assert sensitivity.shape == (6, 3, 4, 4)
        y0 = hdnn.states(net, x)[0]
        for j in (0, 2, 5):
            def tail(y, j=j):
                for k in range(j, len(net)):
                    y = net.layer(k, y)
                return y
            for i in range(3):
                start = hdnn.states(net, x)[j][i:i + 1].detach()
                jac = torch.autograd.functional.jacobian(tail, start).reshape(4, 4)
                torch.testing.assert_close(sensitivity[j, i], jac)
        torch.testing.assert_close(sensitivity[-1], torch.eye(4, dtype=torch.float64).expand(3, 4, 4))
        assert y0.shape == (3, 4)


def test_hamiltonian_layers_are_symplectic_and_the_others_are_not():
    x = torch.randn(20, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    ham = hdnn.HamiltonianNet(depth=12, scale=1.0).double()
    flow = hdnn.ResidualNet(depth=12, gradient_flow=True).double()
    S = hdnn.sensitivities(ham, x)
    assert hdnn.symplecticity_error(S) < 1e-9 and hdnn.norms(S).min() > 1 - 1e-9
    assert hdnn.symplecticity_error(hdnn.sensitivities(flow, x)) > 1e-3
    assert hdnn.norms(hdnn.sensitivities(flow, x))[0].max() < 1          # each layer contracts


def test_the_hamiltonian_lab_page_measures_the_bound_and_the_vanishing(built_book):
    from built import glued
    g = glued(built_book, "labs/hamiltonian")
    assert g["symplectic"] is True and g["vanishing"] is True
    assert g["symplectic_error"] < 1e-9 and g["symplectic_accuracy"] > 95 and g["symplectic_first"] > 1
    assert g["vanishing_initial"] < 0.01 and g["vanishing_trained"] < 1 <= g["vanishing_plain"]


def test_the_labs_index_shows_each_labs_own_verdict(built_book):
    """One row per lab of Part VII, linking it, whose effect and verdict are the lab's glued
    ones as the built page shows them (quoted from the lab's run, not written by hand)."""
    import html as html_lib
    import re

    import yaml
    from built import glued
    from conftest import ROOT
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    part = next(p for p in toc["parts"] if "research labs" in p["caption"])
    labs = [c["file"].removeprefix("chapters/labs/") for c in part["chapters"]][1:]
    source = (ROOT / "chapters" / "labs" / "index.md").read_text()
    rows = [line for line in source.splitlines() if line.startswith("| {doc}")]
    assert [re.search(r"\{doc\}`([^`]+)`", row).group(1) for row in rows] == labs
    page = (built_book / "html" / "chapters" / "labs" / "index.html").read_text()
    cells = [[html_lib.unescape(re.sub(r"<[^>]+>", "", cell)).strip()
              for cell in re.findall(r"<td>(.*?)</td>", row, re.S)]
             for row in re.findall(r"<tr[^>]*>(.*?)</tr>", page.split("<tbody>", 1)[1], re.S)]
    assert len(cells) == len(labs)
    for lab, row in zip(labs, cells):
        g = glued(built_book, f"labs/{lab}")
        assert g["lab_reproduces"] in ("yes", "partly", "no")
        assert row[-2:] == [g["lab_effect"], g["lab_reproduces"]], lab


def test_each_lab_reproduces_what_its_verdict_says(built_book):
    from built import glued
    expected = {"chaos": "partly",           # no network is trained on Lorenz-63
                "chorales": "no",            # gating does not pay at 10,000 parameters; GRU behind LSTM
                "chrono": "partly",          # the slope is the gradient-weighted mean log f, not the plain mean
                "egru": "partly",            # 5 points below the GRU at 73 % silence
                "gatel0rd": "yes",
                "gating": "yes",
                "hamiltonian": "partly",     # the plain residual network does not decay here
                "memory": "partly",          # the limit moves with the training budget
                "ncgru": "partly",           # the GRU learns the denoise task too, only later
                "noisy": "yes",
                "omega": "yes",
                "target_prop": "yes",
                "taugru": "partly",             # the gradient reaches back; the race is the Try-it
                "state_regularized": "yes"}
    for lab, reproduces in expected.items():
        assert glued(built_book, f"labs/{lab}")["lab_reproduces"] == reproduces, lab


def test_delay_networks_are_separate_networks_side_by_side():
    """The block-diagonal model's outputs are those of one SequenceModel per delay holding its
    block's weights, and training keeps the blocks apart."""
    from book.labs import memory
    from book.rnn import SequenceModel
    from book.rnn.cells import GATES
    x = torch.randn(12, 5, 1, generator=torch.Generator().manual_seed(0))
    for kind in ("rnn", "gru", "lstm"):
        H, delays = 3, [1, 2, 4]
        model = memory.fit(kind, H, delays, steps=3, length=12).model
        out = model(x, every_step=True)
        cell = model.recurrent.cell
        for j in range(len(delays)):
            rows = torch.cat([torch.arange(g * len(delays) * H + j * H, g * len(delays) * H + (j + 1) * H)
                              for g in range(GATES[kind])])
            units = slice(j * H, (j + 1) * H)
            one = SequenceModel(kind, 1, H, 1)
            with torch.no_grad():
                one.recurrent.cell.weight_ih.copy_(cell.weight_ih[rows])
                one.recurrent.cell.weight_hh.copy_(cell.weight_hh[rows][:, units])
                one.recurrent.cell.bias_ih.copy_(cell.bias_ih[rows])
                one.recurrent.cell.bias_hh.copy_(cell.bias_hh[rows])
                one.weight_out.copy_(model.weight_out[j:j + 1, units])
                one.bias_out.copy_(model.bias_out[j:j + 1])
            torch.testing.assert_close(out[..., j:j + 1], one(x, every_step=True))
        mask = model.masks["recurrent.cell.weight_hh"]
        assert (cell.weight_hh[mask == 0] == 0).all() and (cell.weight_hh[mask == 1] != 0).all()


def test_memory_distance_and_capacity():
    from book.labs import memory
    assert memory.memory_distance([1, 2, 3, 4], [0.99, 0.95, 0.5, 0.97]) == 2
    assert memory.memory_distance([1, 2], [0.5, 0.99]) == 0
    assert memory.memory_capacity(np.array([1.0, 0.5, -0.2])) == 1.5


def test_the_memory_lab_finds_a_cutoff_below_the_size_that_moves_with_training(built_book):
    from built import glued
    g = glued(built_book, "labs/memory")
    assert g["cutoff"] is True and g["training"] is True
    assert g["cutoff_small"] <= 1 < g["cutoff_gru"] < 7 and g["cutoff_rnn"] < 7 and g["cutoff_width"] <= 4
    assert g["training_long"] >= g["training_short"] + 2


def test_cell_gradients_are_the_loss_derivatives_by_finite_differences():
    from book.data.sequences import copy_task
    from book.labs import chrono
    model = chrono.copy_lstm(4, chrono=6).double()
    x, target = copy_task(3, 6, chrono.N_SYMBOLS, 2, torch.Generator().manual_seed(0))
    x = x.double()
    grads, forget = chrono.cell_gradients(model, x, target, length=2)
    assert grads.shape == forget.shape == (len(x), 3, 4)
    torch.testing.assert_close(torch.tensor(forget[0]), torch.sigmoid(
        (x[0] @ model.recurrent.cell.weight_ih.T + model.recurrent.cell.bias_ih
         + model.recurrent.cell.bias_hh).chunk(4, dim=-1)[1]))
    cell = model.recurrent.cell

    def loss_with(t, b, j, eps):
        """The recall loss with c_t[b, j] nudged by eps (and h_t = o_t tanh(c_t) with it)."""
        h = c = x.new_zeros(3, 4)
        hs = []
        with torch.no_grad():
            for s, x_s in enumerate(x):
                gates = x_s @ cell.weight_ih.T + cell.bias_ih + h @ cell.weight_hh.T + cell.bias_hh
                h, c = cell(x_s, (h, c))
                if s == t:
                    c = c.clone()
                    c[b, j] += eps
                    h = torch.sigmoid(gates.chunk(4, dim=-1)[3]) * torch.tanh(c)
                hs.append(h)
            return chrono.recall_loss(torch.stack(hs) @ model.weight_out.T + model.bias_out, target, 2).item()
    for t, b, j in ((2, 0, 1), (5, 2, 3), (8, 1, 0)):
        numeric = (loss_with(t, b, j, 1e-6) - loss_with(t, b, j, -1e-6)) / 2e-6
        assert abs(numeric - grads[t, b, j]) < 1e-6 * max(1, abs(numeric)) and grads[t, b, j] != 0


def test_forget_readings():
    from book.labs import chrono
    ks = np.arange(10)
    assert np.allclose(chrono.line_fit(np.exp(-0.3 * ks + 1), ks), (-0.3, 1.0))
    grads = np.random.default_rng(0).normal(size=(5, 2, 3))
    assert np.isclose(chrono.weighted_log_forget(grads, np.full((5, 2, 3), 0.9)), np.log(0.9))
    forget = np.broadcast_to([0.5, 0.5, 0.99], (5, 2, 3))
    assert np.isclose(chrono.weighted_log_forget(grads * [0, 0, 1], forget), np.log(0.99))


def test_the_chrono_lab_learns_the_copy_and_reads_its_gradient_slopes(built_book):
    from built import glued
    g = glued(built_book, "labs/chrono")
    assert g["learns"] and g["slope"] and g["trained"] and g["breaks"]
    assert g["learns_chrono"] < 0.8 * np.log(8) < g["learns_default"]
    assert g["slope_r2"] > 0.95 and abs(g["slope_chrono"] / g["slope_weighted"] - 1) < 0.2 and g["slope_ratio"] > 2
    assert g["breaks_slope"] > 0.8 * g["breaks_mean"] and g["breaks_over_delay"] < 1e-10


def test_the_gated_network_with_gates_at_one_half_is_a_plain_network_at_half_speed_and_gain():
    from book.labs import gating
    activity, stopped = gating.simulate([0.0], [0.0], n_units=20, duration=4.0, dt=0.2, burn_in=0.0, seed=3)
    rng = np.random.default_rng(3)
    J = 3.0 * rng.normal(0, 20 ** -0.5, (3, 20, 20)).astype(np.float32)[0]
    h = rng.normal(0, 1, 20).astype(np.float32)
    for step in range(20):
        np.testing.assert_allclose(activity[step, 0], np.tanh(h), rtol=1e-5, atol=1e-6)
        h = h + 0.2 * 0.5 * (-h + 0.5 * J @ np.tanh(h))
    assert activity.shape == (20, 1, 20) and (stopped == 0).all()


def test_autocorrelation_time_and_participation_ratio_on_known_signals():
    from book.labs import gating
    rng = np.random.default_rng(0)
    x = np.zeros((20000, 1, 5))
    for t in range(1, len(x)):                     # AR(1), C(lag) = 0.9^lag: below 1/e after 10 lags
        x[t] = 0.9 * x[t - 1] + rng.normal(size=(1, 5))
    assert gating.autocorrelation_time(x, dt=0.5)[0] == 5.0
    line = np.outer(rng.normal(size=1000), rng.normal(size=8))[:, None, :]
    cloud = rng.normal(size=(20000, 1, 8))
    assert np.isclose(gating.participation_ratio(line)[0], 1) and 7.8 < gating.participation_ratio(cloud)[0] <= 8


def test_the_gating_lab_finds_timescales_from_the_update_gate_and_dimension_from_the_output_gate(built_book):
    from built import glued
    g = glued(built_book, "labs/gating")
    assert g["timescale"] and g["dimension"] and g["interact"]
    assert g["timescale_least"] > 2.5 and g["timescale_stopped"] > 20
    assert g["dimension_least"] > 3 and g["dimension_high"] > 5 * g["dimension_low"]


def test_tanh_rnn_lyapunov_exponent_and_jacobian_products():
    """At a quiet gain the orbit sits at 0, where the exponent is log(g rho(W)); the product
    norms are the norms of the T-step map's Jacobian, from autograd."""
    from book.labs import chaos
    W, starts = chaos.tanh_rnn(n_units=30, n_starts=1, seed=2)
    rho = np.abs(np.linalg.eigvals(W)).max()
    assert abs(chaos.lyapunov_exponents(W, starts[0], [0.5])[0] - np.log(0.5 * rho)) < 1e-3
    norms = chaos.jacobian_product_norms(W, starts[0], [2.0], length=5, burn_in=7)
    h = torch.tensor(starts[0])
    Wt = torch.tensor(W)
    for _ in range(7):
        h = torch.tanh(2.0 * Wt @ h)
    for T in (1, 5):
        def run(h, T=T):
            for _ in range(T):
                h = torch.tanh(2.0 * Wt @ h)
            return h
        jac = torch.autograd.functional.jacobian(run, h)
        assert np.isclose(norms[T - 1, 0], torch.linalg.matrix_norm(jac, 2).item())


def test_lorenz_model_its_exponent_and_forcing():
    from book.labs import chaos
    assert abs(chaos.lorenz_lyapunov(1500) - 0.906) < 0.1            # the known value, about 0.906
    trajectory = chaos.lorenz_trajectory(300)
    data = chaos.windows(trajectory, [0, 100], 60)
    truth = torch.tensor(chaos.LORENZ, dtype=torch.float64)
    assert chaos.forecast_errors(truth, data).max() < 1e-20               # the data's own model
    wrong = truth * torch.tensor([1.0, 1.02, 1.0], dtype=torch.float64)
    # forcing every step: each error is one step from the data
    one_step = ((chaos.lorenz_step(data[:-1], wrong) - data[1:]) ** 2).mean(dim=-1).mean(dim=0)
    torch.testing.assert_close(chaos.forecast_errors(wrong, data, forcing=1), one_step)
    # a copy of the parameters per window gets that window's own gradient
    paired = wrong.expand(2, 3).clone().requires_grad_(True)
    chaos.forecast_errors(paired, data, forcing=20).sum().backward()
    for b in range(2):
        single = wrong.clone().requires_grad_(True)
        chaos.forecast_errors(single, data[:, b:b + 1], forcing=20).sum().backward()
        torch.testing.assert_close(paired.grad[b], single.grad)
    scan = torch.stack([truth, wrong]).unsqueeze(1)
    assert chaos.forecast_errors(scan, data).shape == (2, 2)


def test_the_chaos_lab_ties_gradient_growth_to_the_lyapunov_exponent(built_book):
    from built import glued
    g = glued(built_book, "labs/chaos")
    assert g["rate"] and g["explodes"] and g["surface"]
    assert g["rate_worst"] < 0.05 and g["rate_chaotic_slope"] > 0.2 and g["rate_quiet_slope"] < -0.5
    assert g["explodes_ratio"] > 20 and 0.8 < g["explodes_lam"] < 1.0 and abs(g["surface_best"] - 28) < 0.1


def test_noisy_rnn_stack_is_separate_tanh_rnns_and_noise_only_in_training():
    from book.labs import noisy
    from book.rnn import SequenceModel
    g = torch.Generator().manual_seed(0)
    x, y = torch.rand(8, 40, 8, generator=g), torch.randint(0, 10, (40,), generator=g)
    model = noisy.fit(x, y, [0.0, 0.5], hidden_size=6, epochs=1, batch_size=20, seeds=2)
    logits = noisy.forward(model, x)
    for k in range(4):
        one = SequenceModel("rnn", 8, 6, 10)
        with torch.no_grad():
            for name, p in one.named_parameters():
                p.copy_(dict(model.named_parameters())[name][k])
        torch.testing.assert_close(logits[k], one(x))
    noise = torch.tensor([0.0, 0.0, 0.5, 0.5]).reshape(4, 1, 1)
    shaken = noisy.forward(model, x, noise, torch.Generator().manual_seed(1))
    torch.testing.assert_close(shaken[:2], logits[:2])
    assert (shaken[2:] - logits[2:]).abs().max() > 0.01
    fresh = noisy.fit(x, y, [0.0, 0.5], hidden_size=6, epochs=0, seeds=2)
    for p in fresh.parameters():                      # both levels start from the same weights
        torch.testing.assert_close(p[:2], p[2:])
    acc = noisy.accuracy_under_noise(model, x, y, [0.0, 1.0])
    assert acc.shape == (2, 4) and np.allclose(acc[0], (logits.argmax(-1) == y).float().mean(-1).numpy())


def test_the_noisy_lab_finds_slower_loss_at_moderate_input_noise(built_book):
    from built import glued
    g = glued(built_book, "labs/noisy")
    assert g["slower"] and g["cost"] and g["louder"]
    assert g["slower_noisy"] > g["slower_plain"] and g["slower_drop_noisy"] < g["slower_drop_plain"]
    assert g["cost_clean_noisy"] < g["cost_clean_plain"] and g["slower_plain"] > 20


def test_omega_errors_are_the_gradients_autograd_gives_and_omega_vanishes_for_an_isometry():
    from book.labs import omega
    g = torch.Generator().manual_seed(0)
    W = torch.randn(2, 5, 5, generator=g) / 5 ** 0.5
    x = torch.randn(7, 2, 3, 5, generator=g)
    hidden, h = [], torch.zeros(2, 3, 5, requires_grad=True)
    for x_t in x:
        h = torch.tanh(x_t + h @ W.transpose(-1, -2))
        h.retain_grad()
        hidden.append(h)
    readout = torch.randn(5, generator=g)
    (hidden[-1] @ readout).pow(2).sum().backward()
    errors = omega.errors_through_time(torch.stack(hidden).detach(), hidden[-1].grad, W)
    for t in range(7):
        torch.testing.assert_close(errors[t], hidden[t].grad)
    # a step that passes the error back with its norm unchanged costs nothing
    Q = torch.linalg.qr(torch.randn(1, 5, 5, generator=g))[0]
    zero = torch.zeros(3, 1, 2, 5)
    assert omega.omega(zero, torch.randn(3, 1, 2, 5, generator=g), Q).abs().max() < 1e-10
    assert omega.omega(zero, torch.randn(3, 1, 2, 5, generator=g), 0.5 * Q).item() == pytest.approx(0.25)


def test_the_omega_lab_learns_where_clipping_alone_does_not(built_book):
    from built import glued
    g = glued(built_book, "labs/omega")
    assert g["learns"] and g["reach"]
    assert g["learns_omega_low"] > 45 > 40 > g["learns_plain"] and g["reach_omega"] > 0.1 > 1e-3 > g["reach_plain"]


def test_targets_move_back_by_the_regularized_gauss_newton_step():
    """The target step solves the linearized inversion (W^T D^2 W + r I) s = W^T D (v - h); with a
    large r it is the backpropagated gradient divided by r, and a target equal to the state
    stays the state."""
    from book.labs import target_prop as tp
    from book.rnn import SequenceModel
    torch.manual_seed(0)
    model = SequenceModel("rnn", 6, 5, 4, n_models=2).double()
    x = torch.randn(4, 3, 6, dtype=torch.float64)
    states, _ = tp.run(model, x)
    states = states.detach()
    cell = model.recurrent.cell
    top = states[-1] + 0.01 * torch.randn(2, 3, 5, dtype=torch.float64)
    targets = tp.propagate_targets(states, x, cell, top, torch.tensor([0.5, 1e6], dtype=torch.float64))
    assert targets.shape == (4, 2, 3, 5)
    torch.testing.assert_close(tp.propagate_targets(states, x, cell, states[-1], torch.tensor([0.5, 0.5], dtype=torch.float64)),
                               states[1:])
    d = 1 - states[-1] ** 2
    W = cell.weight_hh.detach()
    shift = top - states[-1]
    for b in range(3):
        DW = d[0, b, :, None] * W[0]
        expected = torch.linalg.solve(DW.T @ DW + 0.5 * torch.eye(5, dtype=torch.float64), DW.T @ shift[0, b])
        torch.testing.assert_close(targets[-2, 0, b] - states[-2, 0, b], expected)
    gradient_step = (shift[1] * d[1]) @ W[1]                 # W^T D (v - h), as rows
    torch.testing.assert_close(1e6 * (targets[-2, 1] - states[-2, 1]), gradient_step, rtol=1e-4, atol=1e-9)


def test_the_target_propagation_lab_needs_its_regularization_in_range(built_book):
    from built import glued
    g = glued(built_book, "labs/target_prop")
    assert g["competitive"] and g["unstable"]
    assert g["competitive_good"] > 60 and g["competitive_good"] > g["competitive_bptt"] - 15
    assert g["competitive_small"] < 35 and g["unstable_small"] > 1 > g["unstable_good"] > g["unstable_large"]


def test_egru_without_events_is_torchs_gru_and_events_fire_and_reset_at_the_threshold():
    from book.rnn import egru
    torch.manual_seed(0)
    cell = egru.EGRUCell(3, 4, generator=torch.Generator().manual_seed(1))
    reference = torch.nn.GRUCell(3, 4)
    reference.load_state_dict({k: v for k, v in cell.state_dict().items() if k != "threshold"})
    x = torch.randn(5, 2, 3)
    state, h = cell.init_state(2), torch.zeros(2, 4)
    for x_t in x:
        state = cell(x_t, state, events=False)
        h = reference(x_t, h)
        torch.testing.assert_close(egru.output(state), h)
    # one unit by hand: c crosses theta = 0.5, fires, and is reset by theta at the next step
    threshold = torch.tensor([0.5])
    zero = torch.zeros(1, 3)
    weight_ih, bias = torch.zeros(3, 1), torch.tensor([0.0, -10.0, 10.0])       # u = 0, n = 1
    c, e = egru.egru_cell(torch.zeros(1, 1), (torch.zeros(1, 1), torch.zeros(1, 1)), weight_ih, zero.T, bias,
                          torch.zeros(3), threshold)
    assert c.item() == pytest.approx(1.0, abs=1e-4) and e.item() == 1.0
    c, e = egru.egru_cell(torch.zeros(1, 1), (c, e), weight_ih, zero.T, bias, torch.zeros(3), threshold)
    assert c.item() == pytest.approx(0.5, abs=1e-4) and e.item() == 0.0                # 1 - 0.5, not above 0.5
    v = torch.tensor([-1.0, -0.25, 0.0, 0.25, 1.0], requires_grad=True)
    egru.Event.apply(v).sum().backward()
    expected = egru.SURROGATE_HEIGHT * (1 - v.detach().abs() / egru.SURROGATE_WIDTH).clamp(min=0) / egru.SURROGATE_WIDTH
    torch.testing.assert_close(v.grad, expected)


def test_recurrent_operations_count_only_the_units_that_spoke():
    from book.labs import egru
    dense, sparse = egru.recurrent_operations(np.array([0.5, 0.25, 1.0]), 4)
    assert dense == 3 * 16 * 2 and sparse == 3 * 16 * 0.75


def test_the_egru_lab_is_mostly_silent_near_the_grus_accuracy(built_book):
    from built import glued
    g = glued(built_book, "labs/egru")
    assert g["sparse"] and g["sparse_silent"] > 50 and g["sparse_egru"] > g["sparse_gru"] - 8
    assert abs(g["sparse_saved"] - g["sparse_silent"]) < 5


def test_gatel0rd_keeps_a_closed_latent_exactly_and_counts_open_gates():
    from book.labs import gatel0rd as lab
    from book.rnn.gatel0rd import GateL0RDCell, gatel0rd_cell
    cell = GateL0RDCell(2, 3, generator=torch.Generator().manual_seed(0))
    x, h = torch.randn(4, 2), torch.randn(4, 3)
    closed = -100 * torch.ones(6)
    closed[3:] = 0                                        # gate inputs far below 0: all closed
    new, gate, opened = gatel0rd_cell(x, h, cell.weight_ih, cell.weight_hh, closed, torch.zeros(6))
    assert torch.equal(new, h) and (gate == 0).all() and (opened == 0).all()
    s = (x @ cell.weight_ih.T + cell.bias_ih + h @ cell.weight_hh.T + cell.bias_hh)[:, :3]
    new, gate, opened = cell(x, h)
    torch.testing.assert_close(gate, torch.relu(torch.tanh(s)))
    assert torch.equal(opened, (s > 0).float())
    x, target, cue = lab.cue_batch(5, 12, torch.Generator().manual_seed(2))
    for b in range(5):
        last = None
        for t in range(12):
            last = x[t, b, 1] if cue[t, b] else last
            assert target[t, b] == last
    model = lab.Latents(3, hidden_size=4)
    for p in model.parameters():
        torch.testing.assert_close(p[0], p[2])


def test_the_gatel0rd_lab_opens_its_gates_at_the_cues(built_book):
    from built import glued
    g = glued(built_book, "labs/gatel0rd")
    assert g["sparse"] and g["error"]
    assert g["sparse_share"] > 90 > 50 > g["sparse_share_free"] and g["error_gatel0rd"] < 2 * g["error_gru"]


def test_the_neumann_cayley_weight_is_orthogonal_and_its_gradient_is_the_exact_inverses():
    """The scaled Cayley transform is orthogonal; the Neumann series tends to the inverse; the
    NC-GRU on the GRU's written-out loops gives the states and gradients of a step-by-step GRU
    whose W_hn is solved exactly (autograd through torch.linalg.solve)."""
    from book.rnn import ncgru
    from book.rnn.cells import gru_cell
    from book.rnn.layers import Recurrent
    torch.manual_seed(0)
    A = ncgru.skew_symmetric(torch.randn(6, 6, dtype=torch.float64))
    D = torch.tensor([-1.0, -1, 1, 1, 1, 1], dtype=torch.float64)
    assert ncgru.orthogonality_error(ncgru.scaled_cayley(A, D)) < 1e-12
    M = torch.linalg.inv(torch.eye(6, dtype=torch.float64) + A)
    delta = ncgru.skew_symmetric(0.01 * torch.randn(6, 6, dtype=torch.float64))
    exact = torch.linalg.inv(torch.eye(6, dtype=torch.float64) + A + delta)
    errors = [(ncgru.neumann_inverse(M, delta, k) - exact).abs().max().item() for k in (1, 2, 3, 4)]
    assert errors[0] > 10 * errors[1] > 100 * errors[2] > 1000 * errors[3]

    layer = Recurrent("ncgru", 3, 5)
    reference = ncgru.NCGRUCell(3, 5)
    reference.load_state_dict(layer.cell.state_dict())
    x = torch.randn(7, 2, 3)
    H, _ = layer(x)
    (H ** 2).sum().backward()
    h, states = torch.zeros(2, 5), []
    for x_t in x:
        W = ncgru.scaled_cayley(ncgru.skew_symmetric(reference.skew), reference.scaling)
        h = gru_cell(x_t, h, reference.weight_ih, torch.cat([reference.weight_hh, W]),
                     reference.bias_ih, reference.bias_hh)
        states.append(h)
    torch.testing.assert_close(H, torch.stack(states))
    (torch.stack(states) ** 2).sum().backward()
    for name, p in layer.cell.named_parameters():
        torch.testing.assert_close(p.grad, dict(reference.named_parameters())[name].grad, msg=name)


def test_the_trainer_keeps_the_nc_grus_weight_orthogonal_and_the_series_truncation_is_what_drifts():
    from book.rnn.train import Trainer
    drift = {}
    for terms in (1, 4):
        trainer = Trainer("ncgru", "adding", 20, 8, 0.05, init="default", optimizer="adam")
        trainer.model.recurrent.cell.terms = terms
        for _ in range(30):
            loss, norms = trainer.step()
        assert np.isfinite(loss).all() and norms.shape == (20, 1)
        drift[terms] = trainer.model.recurrent.cell.orthogonality_error()[0]
    assert drift[4] < 0.01 < drift[1]


def test_denoise_batches_and_the_shared_initial_weights():
    from book.data.sequences import denoise
    from book.labs import ncgru as lab
    x, symbols = denoise(6, 20, n_symbols=4, n_data=3, generator=torch.Generator().manual_seed(1))
    assert x.shape == (23, 6, 6) and symbols.shape == (3, 6)
    for b in range(6):
        carried = x[:20, b, :4].argmax(-1)[x[:20, b, :4].sum(-1) == 1]
        assert torch.equal(carried, symbols[:, b])              # the symbols, in order
        assert x[20, b, 5] == 1 and x[:, b, 5].sum() == 1 and x[21:, b].sum() == 0
    gru, nc = lab.pair(hidden_size=4, seed=0)
    shared = dict(gru.named_parameters())
    for name, p in nc.named_parameters():
        if name in shared:
            assert torch.equal(p, shared[name][:len(p)]), name
    started = lab.orthogonal_start(gru, nc)
    torch.testing.assert_close(started.recurrent.cell.weight_hh[8:], nc.recurrent.cell.weight_hn())
    assert torch.equal(started.recurrent.cell.weight_hh[:8], gru.recurrent.cell.weight_hh[:8])
    assert lab.singular_values(nc) == pytest.approx((1.0, 1.0), abs=1e-5)
    assert lab.singular_values(gru)[1] < 1                   # torch's init: entries below 1/sqrt(H)
    from book.rnn.train import first_below
    assert first_below(np.array([2.0] * 5 + [0.0] * 5), 1.0, window=2) == 7
    assert first_below(np.ones(10), 0.5) is None


def test_the_ncgru_lab_learns_sooner_and_stays_orthogonal(built_book):
    from built import glued
    g = glued(built_book, "labs/ncgru")
    assert g["start"] and g["earlier"] and g["init"] and g["orthogonal"] and g["final"] and g["drift"]
    assert g["earlier_nc"] < g["earlier_orth"] < g["earlier_gru"] and g["earlier_nc"] < 0.85 * g["earlier_gru"]
    assert g["orthogonal_max"] < 0.01 and g["orthogonal_gru_high"] > 2 and 0 < g["init_share"] < 100


def test_the_chorale_reader_gives_music21s_notes_and_piano_rolls():
    """Our MusicXML reader against music21's own parser, note for note, on three chorales."""
    music21 = pytest.importorskip("music21")
    from book.data import chorales
    paths = chorales.chorale_paths()
    assert len(paths) > 300
    assert len({path.stem.split("-")[0] for path in paths}) == len(paths)     # one version each
    with_instruments = next(path for path in paths if path.stem == "bwv1.6")  # horn beside the voices
    for path in (with_instruments, paths[50], paths[200]):
        score = music21.converter.parse(str(path), forceSource=True, storePickle=False)   # no cache in /tmp
        voices = [part for part in score.parts
                  if (part.partName or "").splitlines()[0:1] in ([v] for v in chorales.VOICES)]
        assert len(voices) == 4 and len(score.parts) == (5 if path == with_instruments else 4)
        theirs = sorted((float(n.getOffsetInHierarchy(score)), float(n.quarterLength), p.midi)
                        for part in voices for n in part.recurse().notes for p in n.pitches)
        ours = sorted(chorales.notes(path))
        assert len(ours) == len(theirs) > 100
        np.testing.assert_allclose(np.array(ours), np.array(theirs))
        assert 36 <= min(m for *_, m in ours) and max(m for *_, m in ours) < 82     # C2 to A5
    roll = chorales.piano_roll(paths[5], 36, 82)
    onset, duration, midi = min(chorales.notes(paths[5]))
    frames = int(round(duration / chorales.STEP))
    assert roll[:frames, midi - 36].all() and roll.shape[1] == 46 and set(np.unique(roll)) <= {0.0, 1.0}


def test_chorale_windows_and_the_memoryless_baseline():
    from torch.nn import functional as F
    from book.labs import chorales as lab
    train = [torch.eye(4)[torch.tensor(seq)] for seq in ([0, 1, 2, 3, 0, 1], [2, 2, 2], [3, 0, 1, 2, 3])]
    x = lab.windows(train, 5, 4, torch.Generator().manual_seed(0))
    assert x.shape == (5, 5, 4)                          # only chorales longer than 4 frames
    for b in range(5):
        seq = x[:, b].argmax(-1).tolist()
        assert all((a + 1) % 4 == c for a, c in zip(seq, seq[1:]))
    p = torch.cat(train).mean(0)
    frames = torch.cat([roll[1:] for roll in train])
    expected = -(frames * p.log() + (1 - frames) * (1 - p).log()).sum() / len(frames)
    assert lab.memoryless_nll(train, train) == pytest.approx(expected.item(), rel=1e-5)
    model = lab.SequenceModel("rnn", 4, 3, 4)
    roll = train[0]
    logits = model(roll[:-1, None], every_step=True)
    expected = F.binary_cross_entropy_with_logits(logits, roll[1:, None], reduction="sum") / 5
    assert lab.test_nll(model, [roll]) == pytest.approx(expected.item(), rel=1e-5)


def test_the_chorales_lab_measures_gating_against_tanh_units(built_book):
    from built import glued
    g = glued(built_book, "labs/chorales")
    assert g["learned"] and g["gain"]
    assert max(g["gain_tanh"], g["gain_gru"], g["gain_lstm"]) < 0.85 * g["learned_baseline"]
    assert g["gain_gru"] > g["gain_lstm"] and g["gain_gru"] > g["gain_tanh"]


@pytest.mark.parametrize("kind", ["egru", "gatel0rd", "taugru", "ncgru", "srgru"])
def test_the_research_cells_run_as_layers_and_train_in_the_course_trainer(kind):
    """Recurrent runs each new cell step by step (or, the NC-GRU, on the GRU's loops) and
    records ||dL/d output_t||; the Trainer takes optimizer steps with it."""
    from book.rnn.layers import Recurrent
    from book.rnn.train import Trainer
    torch.manual_seed(0)
    layer = Recurrent(kind, 2, 4)
    x = torch.randn(6, 3, 2)
    record = []
    H, _ = layer(x, record=record)
    state, outputs = None, []
    for x_t in x:
        state = layer.cell(x_t, state)
        outputs.append(layer.cell.output(state))
        outputs[-1].retain_grad()
    torch.testing.assert_close(H, torch.stack(outputs))
    (H ** 2).sum().backward()
    if kind != "ncgru":               # the GRU's loops record the same from their own chain
        (torch.stack(outputs) ** 2).sum().backward()
        torch.testing.assert_close(record[0], torch.stack([o.grad.norm() for o in outputs]))
    trainer = Trainer(kind, "adding", 12, 6, 0.01, init="default", optimizer="adam")
    before = [p.detach().clone() for p in trainer.parameters]
    loss, norms = trainer.step()
    assert np.isfinite(loss).all() and norms.shape == (12, 1) and np.isfinite(norms).all()
    assert any(not torch.equal(a, b) for a, b in zip(before, trainer.parameters))


def test_tau_gru_reads_the_state_delay_steps_back_and_without_delay_both_candidates_read_now():
    from book.rnn.taugru import TauGRUCell, taugru_cell
    torch.manual_seed(0)
    cell = TauGRUCell(2, 3, delay=2)
    x = torch.randn(5, 4, 2)
    state, states = cell.init_state(4), [torch.zeros(4, 3)]
    for n, x_n in enumerate(x):
        state = cell(x_n, state)
        past = states[n - 2] if n >= 2 else torch.zeros(4, 3)
        states.append(taugru_cell(x_n, states[-1], past, cell.weight_ih, cell.weight_hh,
                                  cell.bias_ih, cell.bias_hh))
        torch.testing.assert_close(state[0], states[-1])
        assert len(state) == 3
    now = TauGRUCell(2, 3, delay=0)
    h = torch.randn(4, 3)
    W, V, b, c = now.weight_hh, now.weight_ih, now.bias_ih, now.bias_hh
    u, g, a, z = (x[0] @ V.T + b + h @ W.T + c).chunk(4, dim=-1)
    expected = (1 - torch.sigmoid(g)) * h + torch.sigmoid(g) * (torch.tanh(u) + torch.sigmoid(a) * torch.tanh(z))
    torch.testing.assert_close(now(x[0], (h,))[0], expected)


@pytest.mark.parametrize("delay, steps", [(0, 6), (1, 6), (3, 7), (9, 5)])
def test_the_compiled_tau_gru_gives_autograds_states_and_gradients(delay, steps):
    """TauGRUFunction (written-out backward on the compiled loops) against the cell stepped
    under autograd, in float64, from a random past; the recorded norms are the total dL/dh_t."""
    from book.rnn import fused
    from book.rnn.layers import Recurrent
    if not fused.usable(torch.zeros(2, 2)):
        pytest.skip("no compiled loops here")
    torch.manual_seed(delay)
    layer = Recurrent("taugru", 3, 5).double()
    layer.cell.delay = delay
    x = torch.randn(steps, 4, 3, dtype=torch.float64, requires_grad=True)
    past = tuple(torch.randn(4, 5, dtype=torch.float64, requires_grad=True) for _ in range(delay + 1))
    record = []
    H, final = layer(x, past, record=record)
    weights = torch.randn_like(H)
    (H * weights).sum().backward()
    compiled = [t.grad.clone() for t in (x, *past, *layer.cell.parameters())]
    for t in (x, *past, *layer.cell.parameters()):
        t.grad = None
    state, outputs = past, []
    for x_t in x:
        state = layer.cell(x_t, state)
        outputs.append(state[0])
        outputs[-1].retain_grad()
    reference = torch.stack(outputs)
    torch.testing.assert_close(H, reference)
    for a, b in zip(final, state):
        torch.testing.assert_close(a, b)
    (reference * weights).sum().backward()
    for a, t in zip(compiled, (x, *past, *layer.cell.parameters())):
        torch.testing.assert_close(a, t.grad if t.grad is not None else torch.zeros_like(t))  # unread past: 0
    torch.testing.assert_close(record[0], torch.stack([o.grad.norm() for o in outputs]))


def test_the_tau_gru_lab_pairs_equal_sizes_and_races_on_the_same_batches():
    from book.labs import taugru as lab
    tau, gru = lab.pair(delay=3, seed=0)
    assert (lab.parameter_count(tau), lab.parameter_count(gru)) == (2713, 2717)
    assert tau.recurrent.cell.delay == 3
    profile = lab.gradient_profile(gru, length=20, batch_size=8)
    assert profile.shape == (20,) and profile[-1] == 1.0 and profile.dtype == np.float64
    losses = lab.fit(gru, length=20, steps=3, batch_size=8)
    again = lab.fit(lab.pair(delay=3, seed=0)[1], length=20, steps=3, batch_size=8)
    assert losses.shape == (3,) and np.array_equal(losses, again)          # same seeded batches


def test_the_tau_gru_lab_carries_the_gradient_back(built_book):
    from built import glued
    g = glued(built_book, "labs/taugru")
    assert g["reach"] and g["shape"] and g["sizes"]
    assert g["reach_tau10_low"] > 1e10 * g["reach_gru_high"] and g["reach_tau25_high"] > g["reach_tau10_high"]
    assert g["reach_tau1_high"] < 1e-3 * g["reach_tau10_low"]          # the delay, not the extra path


def test_a_snap_passes_the_nearest_centroid_forward_and_the_mixtures_gradient_back():
    from book.rnn.state_regularized import snap
    centroids = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0]], requires_grad=True)
    u = torch.tensor([[0.9, 0.2], [0.1, 1.5]], requires_grad=True)
    h, nearest = snap(u, centroids, temperature=0.5)
    assert nearest.tolist() == [1, 2] and torch.equal(h.detach(), centroids.detach()[[1, 2]])
    h.sum().backward()
    u2, c2 = u.detach().clone().requires_grad_(), centroids.detach().clone().requires_grad_()
    distances = ((u2.unsqueeze(-2) - c2) ** 2).sum(-1)
    (torch.softmax(-distances / 0.5, -1) @ c2).sum().backward()
    torch.testing.assert_close(u.grad, u2.grad)
    chosen = torch.zeros(3, 2)
    chosen[[1, 2]] = 1.0                    # the centroid passed on also gets dL/dh directly
    torch.testing.assert_close(centroids.grad, c2.grad + chosen)


def test_tomita4_strings_the_automaton_tools_and_the_grammar_check():
    from book.labs import state_regularized as lab
    x, y = lab.strings(40, 9, torch.Generator().manual_seed(0))
    assert x.shape == (9, 40) and y[::2].all() and not y[1::2].any()
    assert all(lab.in_language(x[:, b].tolist()) == bool(y[b]) for b in range(40))
    # the grammar's own automaton written as an extracted one: states = trailing zeros, 3 = dead
    grammar = ({lab.START: [1, 0], 0: [1, 0], 1: [2, 0], 2: [3, 0], 3: [3, 3]}, {0, 1, 2})
    assert lab.equals_the_grammar(grammar) and lab.minimal_size(grammar) == 4
    doubled = ({lab.START: [1, 0], 0: [1, 4], 4: [1, 0], 1: [2, 0], 2: [3, 0], 3: [3, 3]}, {0, 1, 2, 4})
    assert lab.equals_the_grammar(doubled) and lab.minimal_size(doubled) == 4     # 0 and 4 merge
    wrong = ({lab.START: [1, 0], 0: [1, 0], 1: [2, 0], 2: [2, 0]}, {0, 1, 2})     # accepts 000
    assert not lab.equals_the_grammar(wrong)
    assert lab.run(grammar, [1, 0, 0, 1]) and not lab.run(grammar, [1, 0, 0, 0, 1])


def test_the_automaton_read_off_is_the_network():
    """On any network (trained or not) the automaton read off answers as the network does."""
    from book.labs import state_regularized as lab
    model = lab.Acceptor(hidden_size=6, n_centroids=5, seed=3)
    model.cell.init_centroids_(torch.nn.functional.one_hot(lab.strings(32, 4)[0], 2).float())
    x, _ = lab.strings(64, 15, torch.Generator().manual_seed(4))
    logits, _ = model(x)
    automaton = lab.extract(model)
    assert [lab.run(automaton, x[:, b].tolist()) for b in range(64)] == (logits > 0).tolist()


def test_the_state_regularized_lab_reads_off_tomita_4(built_book):
    from built import glued
    g = glued(built_book, "labs/state_regularized")
    assert g["learned"] and g["automaton"] and g["snap"]
    assert g["learned_long"] > 99 and g["automaton_agreement"] == 100 and g["automaton_minimal"] == 4
