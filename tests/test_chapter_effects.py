"""The effects the chapters claim, read from the numbers their executed pages glued."""
import json

import pytest


def glued(build, page):
    path = build / "jupyter_execute" / "chapters" / f"{page}.glue.json"
    return {key: float(value["data"]["text/plain"].removeprefix("np.float64(").rstrip(")"))
            for key, value in json.loads(path.read_text()).items()}


def test_bptt_written_out_agrees_with_torch(built_book):
    assert glued(built_book, "recurrent/bptt")["bptt_worst"] < 1e-4


def test_small_gains_vanish_at_log_radius_and_saturation_damps_growth(built_book):
    g = glued(built_book, "recurrent/vanishing_gradients")
    assert g["slope_small"] == pytest.approx(-0.60, abs=0.05)    # log10(0.25)
    assert 0 < g["slope_big"] < g["log_radius_big"] / 2          # tanh saturation damps growth
    assert g["saturated_big"] > 25


def test_clipping_bounds_the_step_and_saves_the_run(built_book):
    g = glued(built_book, "recurrent/clipping")
    assert g["jump_free"] > 10 * g["jump_clipped"]
    assert g["diverged_step"] >= 0


def test_gated_cells_remember_and_chrono_helps(built_book):
    g = glued(built_book, "recurrent/gated")
    assert g["rnn_40"] > 0.9                       # the tanh RNN stays at the baseline
    assert max(g["gru_40"], g["lstm_40"], g["chrono_40"]) < 0.1
    assert g["chrono_40"] < g["lstm_40"]


def test_backprop_by_hand_matches_autograd_and_width_helps(built_book):
    g = glued(built_book, "neural/dense")
    assert g["backprop_gap"] < 1e-6
    assert g["mse_10"] < g["mse_1"] / 100
    assert g["spiral_test"] > 85


def test_optimizers_differ_and_regularization_is_measured(built_book):
    g = glued(built_book, "neural/training")
    assert g["ravine_adam"] < g["ravine_sgd"] / 5          # SGD crawls along the flat direction
    assert g["rosen_momentum"] < g["rosen_sgd"] / 100
    assert g["none_best_epoch"] < 300                      # overfitting: validation loss turns up
    assert g["reg_best"] >= g["reg_none"] > 85


def test_convolutions_match_torch_and_find_the_critical_temperature(built_book):
    g = glued(built_book, "neural/cnn")
    assert g["conv_gap"] < 1e-5
    assert g["digits_cnn"] >= 97
    assert g["tc_error"] < 5 and g["tc_estimate"] == pytest.approx(2.269, abs=0.12)
