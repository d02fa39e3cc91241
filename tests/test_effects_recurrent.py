"""The effects the recurrent chapters claim, read from the numbers their executed pages glued.

Each page binds its sentences with ``book.claims.claim``, which glues the verdict as ``<name>``
(True) and every piece of evidence as ``<name>_<key>``. These tests read the glued values of
the built book and pin the effects against fixed thresholds, so that a change of code, seed or
library that weakens an effect (while the page's own, looser claim still holds) fails here.
"""
import math

import pytest

from built import glued as glued_page


def glued(build, page):
    return glued_page(build, f"recurrent/{page}")


def held(values, *claims):
    """The page's claims were checked and held (a false one would have failed the build)."""
    for name in claims:
        assert values.get(name) is True, f"claim {name!r} was not glued as holding"


@pytest.mark.parametrize("page", ["bptt", "vanishing_gradients", "clipping", "gated"])
def test_page_states_seed_device_and_adding_baseline(built_book, page):
    line = glued(built_book, page)["provenance"]
    assert "random seed 0" in line and "MSE 0.16" in line


def test_bptt_written_out_agrees_with_torch_and_truncation_cuts(built_book):
    g = glued(built_book, "bptt")
    held(g, "baseline_is_variance", "bptt_matches_torch", "not_learned_yet",
         "gradient_shrinks_back", "truncation_cuts")
    assert g["baseline_is_variance_measured"] == pytest.approx(1 / 6, abs=0.003)
    assert g["bptt_matches_torch_worst"] < 1e-4
    assert g["bptt_matches_torch_relative"] < 10 * g["bptt_matches_torch_epsilon"]
    assert g["not_learned_yet_loss"] > 0.95 * g["not_learned_yet_baseline"]
    assert g["gradient_shrinks_back_decades"] < -2              # vanishes over 60 steps
    assert g["gradient_shrinks_back_first"] < 1e-2 * g["gradient_shrinks_back_last"]
    assert g["truncation_cuts_zero_steps"] == 60 - g["truncation_cuts_window"] == 40
    assert g["truncation_cuts_full_first"] > 0                  # full BPTT still reaches t = 0


def test_bounds_radius_saturation_and_training_shape_the_gradient(built_book):
    g = glued(built_book, "vanishing_gradients")
    held(g, "growth_without_radius", "circular_law", "vanishing_follows_radius", "gain_one_slow",
         "saturation_damps", "saturation_explains", "training_makes_it_vanish",
         "not_below_baseline", "rnn_short_only")
    # rho = 0, sigma_max = 2: the gradient doubles per step, then dies after 64 steps
    assert g["growth_without_radius_after_30"] == pytest.approx(2.0 ** 30)
    assert g["growth_without_radius_after_64"] == 0
    assert g["circular_law_worst_radius"] < 0.15
    assert g["circular_law_sigma_half"] < 1 < g["circular_law_sigma_075"]
    # small gains: the measured decay per step is log10 of the spectral radius
    assert g["vanishing_follows_radius_slope_small"] == pytest.approx(-0.60, abs=0.05)
    assert g["vanishing_follows_radius_worst_gap"] < 0.03
    assert 0 < g["vanishing_follows_radius_steps_to_zero"] < 60      # underflows to exactly 0
    assert -3 < g["gain_one_slow_decades"] < 0
    # large gains: tanh saturation damps the growth rho promises
    assert 0 < g["saturation_damps_slope_big"] < g["saturation_damps_log_radius_big"] / 2
    assert g["saturation_damps_slope_15"] < g["saturation_damps_log_radius_15"] / 4
    assert g["saturation_explains_saturated_big"] > 25
    assert g["saturation_explains_typical_big"] < 0.6 < 0.95 < g["saturation_explains_typical_small"]
    assert g["saturation_explains_worst_gap"] < 0.1
    # training: from almost flat to vanishing, while the loss stays above the baseline
    assert g["training_makes_it_vanish_first"] > -1.5
    assert g["training_makes_it_vanish_last"] < -3
    assert g["not_below_baseline_end"] > g["not_below_baseline_baseline"]
    assert g["not_below_baseline_end"] < g["not_below_baseline_start"]
    # the same tanh RNN: a 10-step dependency learned, a 40-step one not
    assert g["rnn_short_only_short"] < 0.5 * g["rnn_short_only_mean_short"]
    assert g["rnn_short_only_long"] > 0.9 * g["rnn_short_only_mean_long"]


def test_clipping_bounds_the_step_on_the_wall_and_saves_the_run(built_book):
    g = glued(built_book, "clipping")
    held(g, "wall_throws", "clipping_bounds_steps", "clipping_saves_the_run")
    assert g["wall_throws_gradient"] > 100 * g["wall_throws_before"]
    assert g["wall_throws_middle"] == pytest.approx(0.5, abs=0.05)    # unstable point at x_0
    assert g["wall_throws_jump"] > 100 * g["clipping_bounds_steps_longest"]
    assert g["wall_throws_loss_after"] > 1e3 * g["wall_throws_loss_before"]
    assert g["wall_throws_end_free"] > g["clipping_bounds_steps_start_loss"]
    assert g["clipping_bounds_steps_longest"] <= 0.02 * 10.0 + 1e-9   # learning rate x threshold
    assert g["clipping_bounds_steps_highest_late"] < g["clipping_bounds_steps_start_loss"] / 2
    assert g["clipping_bounds_steps_median_last"] < 1
    # the real RNN: without clipping it diverges, with clipping it beats both baselines
    assert g["clipping_saves_the_run_diverged_step"] >= 1
    assert g["clipping_saves_the_run_one_value"] == pytest.approx(
        g["clipping_saves_the_run_baseline"] / 2)
    assert g["clipping_saves_the_run_clipped"] < 0.8 * g["clipping_saves_the_run_one_value"]
    assert g["clipping_saves_the_run_clipped"] < g["clipping_saves_the_run_half_rate"]


def test_gated_cells_remember_and_chrono_helps(built_book):
    g = glued(built_book, "gated")
    held(g, "default_forgets", "gated_remember", "chrono_helps", "gates_opened")
    baseline = g["gated_remember_baseline"]
    assert g["default_forgets_median"] == pytest.approx(-1 / math.log(0.5), abs=0.15)
    assert g["default_forgets_longest"] < 2.5 and g["default_forgets_chrono_longest"] > 20
    assert g["gated_remember_rnn_ratio"] > 0.9                      # the tanh RNN stays at the baseline
    assert max(g["gated_remember_gru"], g["gated_remember_lstm"], g["gated_remember_chrono"]) \
        < 0.1 * baseline
    assert g["gated_remember_chrono"] < g["gated_remember_lstm"]
    assert g["chrono_helps_step_chrono"] < g["chrono_helps_step_lstm"] <= 300
    assert g["gates_opened_initial_longest"] < 4 and g["gates_opened_longest"] > 40
    assert g["gates_opened_n_open"] >= 1


# ---- the book functions these pages introduced ---------------------------------------------

def test_trivial_baseline_is_the_loss_of_ignoring_the_input():
    from book.data.sequences import TASKS
    from book.rnn.train import trivial_baseline
    assert trivial_baseline("adding", 20) == pytest.approx(1 / 6, abs=0.003)   # 2 x Var U(0, 1)
    for task in ("copy", "temporal order"):
        assert trivial_baseline(task, 30, n_samples=20_000) == pytest.approx(
            TASKS[task](30).baseline, rel=0.01)


def test_moving_average_is_the_mean_of_the_last_values_and_keeps_divergence():
    import numpy as np
    from book.rnn.train import moving_average
    values = np.arange(10.0)
    assert moving_average(values, 3)[2:] == pytest.approx(np.convolve(values, np.ones(3) / 3, "valid"))
    assert moving_average(values, 3)[:2] == pytest.approx([0.0, 0.5])
    assert not np.isfinite(moving_average([1.0, np.inf, 1.0], 2)[1:]).any()


def test_forget_timescales_read_the_gates():
    import numpy as np
    import torch
    from book.rnn import LSTMCell
    from book.rnn.train import chrono_init_, forget_timescales
    torch.manual_seed(0)
    cell = LSTMCell(2, 8)
    with torch.no_grad():
        for p in cell.parameters():
            p.zero_()
        cell.bias_hh[8:16] = np.log(9.0)                 # f = 0.9 for every unit, whatever the input
    x = torch.randn(5, 3, 2)
    assert forget_timescales(cell, x) == pytest.approx(np.full(8, -1 / np.log(0.9)), rel=1e-5)
    default, chrono = LSTMCell(2, 32), LSTMCell(2, 32)
    chrono_init_(chrono, t_max=50)
    assert forget_timescales(default, x).max() < 2.5 < 20 < forget_timescales(chrono, x).max()


def test_fixed_points_of_the_one_unit_map():
    import numpy as np
    from book.rnn import pascanu
    for w, b, count in ((4.81, -2.497, 3), (2.0, 0.0, 1), (10.0, -5.0, 3)):
        roots = pascanu.fixed_points(w, b)
        assert len(roots) == count
        assert np.abs(w / (1 + np.exp(-roots)) + b - roots).max() < 1e-6


def test_log_axes_read_as_powers_of_ten():
    import numpy as np
    from book import plots
    fig = plots.curves(np.arange(3), {"a": [1e-5, 1e-2, 1.0]}, log_y=True, baselines={"b": 0.1})
    assert fig.layout.yaxis.type == "log" and fig.layout.yaxis.exponentformat == "power"
    assert fig.layout.yaxis.dtick == 1
    heat = plots.gradient_heatmap([np.array([[1e-6], [1e-3], [1.0]])] * 2)
    assert list(heat.data[0].colorbar.ticktext) == [f"10<sup>{k}</sup>" for k in range(-6, 1)]
