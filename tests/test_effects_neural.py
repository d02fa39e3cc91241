"""What the neural-network chapters say, pinned to the numbers their executed pages glued.

Each page binds its sentences with ``book.claims.claim`` (the build fails if one is false);
these tests read the glued evidence of the built book and pin the effects themselves, so that
a change which keeps a claim true by weakening it (or drops the claim) is still caught. The
figure tests read the executed plotly figures: every learning curve draws its baseline, log
axes read as powers of ten, decision regions take the colour of the class predicted there.
"""
import base64
import json
import math
import re

import numpy as np
import pytest

from built import figures, glued

PAGES = ["neural/dense", "neural/training", "neural/cnn"]


def values(data):
    """A figure's array as numpy: plotly writes numpy arrays as base64 ("bdata") with a dtype."""
    if isinstance(data, dict) and "bdata" in data:
        array = np.frombuffer(base64.b64decode(data["bdata"]), dtype=np.dtype(data["dtype"]))
        shape = data.get("shape")
        if shape:
            array = array.reshape([int(n) for n in str(shape).split(",")])
        return array.astype(float)
    return np.asarray(data, dtype=float)


def title(figure):
    text = figure["layout"].get("title", "")
    return text.get("text", "") if isinstance(text, dict) else text


def axis_title(axis):
    text = axis.get("title", "")
    return text.get("text", "") if isinstance(text, dict) else text


def baseline_traces(figure):
    """Horizontal dashed lines: the trivial baselines that plots.curves draws."""
    return [t for t in figure["data"] if t.get("type", "scatter") == "scatter"
            and t.get("line", {}).get("dash") in ("dash", "dot", "dashdot")
            and len(values(t.get("y", []))) >= 2 and np.ptp(values(t["y"])) == 0]


@pytest.mark.parametrize("page", PAGES)
def test_every_claim_held_and_provenance_was_stated(built_book, page):
    g = glued(built_book, page)
    verdicts = [key for key, value in g.items() if value is True]
    assert len(verdicts) >= 3, f"{page} glued too few verdicts of claims: {verdicts}"
    assert "random seed 0" in g["provenance"] and "baseline" in g["provenance"]


def test_dense_backprop_by_hand_matches_autograd(built_book):
    g = glued(built_book, "neural/dense")
    assert g["backprop_agrees"] is True
    assert 0 <= g["backprop_agrees_gap"] < 1e-6


def test_dense_width_buys_accuracy_and_one_unit_barely_beats_the_mean(built_book):
    g = glued(built_book, "neural/dense")
    # predicting the mean of sin(3x) on [-2, 2] costs its variance, 1/2 - sin(12)/24 in the limit
    assert g["one_unit_step_mean"] == pytest.approx(0.5 - math.sin(12) / 24, abs=0.01)
    assert 0.75 * g["one_unit_step_mean"] < g["one_unit_step_mse"] < g["one_unit_step_mean"]
    assert g["width_helps_one"] > g["width_helps_three"] > g["width_helps_ten"]
    assert g["width_helps_three"] < g["width_helps_one"] / 10
    assert g["width_helps_ten"] < g["width_helps_one"] / 100
    assert g["width_helps_worst_gap"] < 0.05                   # ten units follow every extremum


def test_dense_spirals_are_learned_well_above_chance(built_book):
    g = glued(built_book, "neural/dense")
    assert g["spirals_n_points"] == 300 and g["spirals_n_test"] == 90
    assert g["spirals_test"] > 85                                  # chance: 50 %
    assert g["spirals_train"] >= g["spirals_test"]


def test_dense_decision_boundary_regions_take_the_colour_of_the_predicted_class(built_book):
    figure = next(f for f in figures(built_book, "neural/dense") if "spirals" in title(f))
    heat = next(t for t in figure["data"] if t["type"] == "heatmap")
    points = {t["name"]: t for t in figure["data"] if t.get("mode") == "markers"}
    assert axis_title(heat["colorbar"]) == "p(class 1)" and heat.get("showscale", True)
    assert (heat["zmin"], heat["zmax"]) == (0, 1)

    def rgb(colour):
        if colour.startswith("#"):
            return np.array([int(colour[k:k + 2], 16) for k in (1, 3, 5)], dtype=float)
        return np.array([float(v) for v in re.findall(r"[\d.]+", colour)[:3]])

    def hue_direction(colour):                    # the colour's departure from white (or grey)
        c = rgb(colour)
        return (c - c.mean()) / np.linalg.norm(c - c.mean())
    low, high = heat["colorscale"][0][1], heat["colorscale"][-1][1]
    class0, class1 = points["class 0"]["marker"]["color"], points["class 1"]["marker"]["color"]
    assert hue_direction(low) @ hue_direction(class0) > 0.9        # p = 0: class 0's colour
    assert hue_direction(high) @ hue_direction(class1) > 0.9       # p = 1: class 1's colour
    # and the regions agree with the points: most points sit where their own class is predicted
    gx, gy, z = values(heat["x"]), values(heat["y"]), values(heat["z"])
    assert z.shape == (len(gy), len(gx))
    for name, want_class_1 in (("class 0", False), ("class 1", True)):
        xs, ys = values(points[name]["x"]), values(points[name]["y"])
        p = z[np.abs(gy[:, None] - ys).argmin(0), np.abs(gx[:, None] - xs).argmin(0)]
        assert np.mean((p > 0.5) == want_class_1) > 0.85, name
    # the legend and the colour bar sit outside the plot, one above the other
    legend, bar = figure["layout"]["legend"], heat["colorbar"]
    assert legend["x"] >= 1 and legend.get("yanchor") == "top"
    assert bar["x"] >= 1 and bar.get("yanchor") == "bottom" and bar["y"] + bar["len"] < legend["y"]


def test_training_cross_entropy_pushes_a_confident_mistake(built_book):
    g = glued(built_book, "neural/training")
    p = g["confidently_wrong_p_true"]
    assert p == pytest.approx(1 / (2 + math.exp(6)), rel=1e-4)
    # softmax - onehot for scores (6, 0, 0) and true class 2: (1 - 2p, p, p - 1)
    assert g["confidently_wrong_ce"] == pytest.approx(math.sqrt((1 - 2 * p) ** 2 + p ** 2 + (1 - p) ** 2),
                                                      rel=1e-4)
    assert g["confidently_wrong_ratio"] > 20


def test_training_sgd_crawls_in_the_ravine(built_book):
    g = glued(built_book, "neural/training")
    assert g["ravine_sgd_last_start"] == pytest.approx(33.0)      # (16 + 50) / 2 at (-4, 1)
    others = [g[f"ravine_sgd_last_{name}"] for name in ("momentum", "rmsprop", "adam")]
    assert g["ravine_sgd_last_sgd"] > 5 * max(others)
    assert g["ravine_sgd_zigzag_rate"] < g["ravine_sgd_zigzag_limit"] == pytest.approx(0.04)
    assert g["ravine_sgd_zigzag_flips"] == 20
    # along the flat direction SGD keeps (1 - rate) of its distance per step: x_100 = -4 (1 - rate)^100
    assert g["ravine_sgd_zigzag_x"] == pytest.approx(-4 * (1 - g["ravine_sgd_zigzag_rate"]) ** 100,
                                                     rel=1e-3)
    assert g["ravine_sgd_zigzag_flat_share"] > 99
    assert g["momentum_swings_flips"] > 5 and g["momentum_swings_furthest_x"] > 0   # overshoots, as the text says


def test_training_rosenbrock_changes_the_order(built_book):
    g = glued(built_book, "neural/training")
    assert g["rosen_sgd_stuck_start"] == pytest.approx(12.5)      # (1 + 1.5)^2 + 100 (2 - 2.25)^2
    assert g["rosen_sgd_stuck_sgd"] > 100 * g["rosen_sgd_stuck_momentum"]
    assert g["rosen_sgd_stuck_sgd_x"] < 0                          # still on the start's side
    assert math.hypot(g["rosen_sgd_stuck_momentum_x"] - 1, g["rosen_sgd_stuck_momentum_y"] - 1) < 0.2
    names = {"sgd", "momentum", "rmsprop", "adam"}
    assert {g["no_single_winner_ravine"], g["no_single_winner_rosenbrock"]} <= names
    assert g["no_single_winner_ravine"] != g["no_single_winner_rosenbrock"]
    assert g["no_single_winner_ravine_there"] > 10 * g["no_single_winner_rosenbrock_there"]


def test_training_schedules_what_the_run_shows(built_book):
    g = glued(built_book, "neural/training")
    assert g["constant_lowest_baseline"] == pytest.approx(math.log(10), abs=0.01)
    final = {s: g[f"constant_lowest_{s}"] for s in ("constant", "step", "cosine")}
    assert final["constant"] < final["cosine"] < final["step"] < g["constant_lowest_baseline"] / 10
    assert g["constant_lowest_constant_20"] > 1.2 * final["constant"]   # still falling at epoch 20
    jitter = {s: g[f"decay_settles_jitter_{s}"] for s in ("constant", "step", "cosine")}
    assert jitter["constant"] > 3 * max(jitter["step"], jitter["cosine"])
    assert jitter["constant"] > 0.5                                # points per epoch: visible jumps
    low, high = g["decay_settles_low"], g["decay_settles_high"]
    assert low <= g["decay_settles_step"] <= high and low <= g["decay_settles_cosine"] <= high
    assert low <= g["decay_settles_constant"] <= high and high > 90
    assert 1 <= g["decay_settles_below_ten"] <= 10


def test_training_overfitting_and_its_remedies(built_book):
    g = glued(built_book, "neural/training")
    assert g["overfits_weights"] == 64 * 128 + 128 + 128 * 128 + 128 + 128 * 10 + 10
    assert g["overfits_best_epoch"] <= 50
    assert g["overfits_last"] > 1.1 * g["overfits_lowest"]
    assert g["overfits_rise"] == pytest.approx(100 * (g["overfits_last"] / g["overfits_lowest"] - 1))
    assert g["overfits_train"] < 0.01
    assert g["early_keeps_best_kept"] == g["overfits_best_epoch"]
    assert g["early_keeps_best_stopped"] == g["early_keeps_best_kept"] + 15    # patience 15
    assert g["remedies_lower_loss_early"] == pytest.approx(g["overfits_lowest"], rel=1e-6)
    for name in ("l2", "dropout", "early"):
        assert g[f"remedies_lower_loss_{name}"] < g["remedies_lower_loss_none"]
    assert g["remedies_lower_loss_none"] == pytest.approx(g["overfits_last"], rel=1e-6)
    assert g["accuracies_close_spread"] == pytest.approx(g["accuracies_close_high"] - g["accuracies_close_low"])
    assert g["accuracies_close_spread"] < 2 * g["accuracies_close_se"]
    assert 1.0 < g["accuracies_close_se"] < 2.0                   # sqrt(a (1 - a) / 400) near a = 0.92


def test_training_test_set_used_once_for_the_setting_validation_chose(built_book):
    g = glued(built_book, "neural/training")
    assert g["test_once_chosen"] in ("none", "L2 (1e-3)", "dropout (0.5)", "early stopping")
    assert g["test_once_n"] == 1797 - 1400
    assert g["test_once_test"] > 85 and abs(g["test_once_test"] - g["test_once_val"]) < 5


def test_cnn_written_out_and_edge_kernels(built_book):
    g = glued(built_book, "neural/cnn")
    assert g["conv_matches_gap"] < 1e-5
    assert g["edge_kernels_vertical_on_vertical"] == 3 and g["edge_kernels_horizontal_on_vertical"] == 0
    assert g["edge_kernels_horizontal_on_horizontal"] == 3 and g["edge_kernels_vertical_on_horizontal"] == 0


def test_cnn_digits_stopped_on_validation_and_tested_once(built_book):
    g = glued(built_book, "neural/cnn")
    assert g["cnn_smaller_cnn"] == 6090 and g["cnn_smaller_dense"] == 9610
    assert g["cnn_validation_first"] < g["cnn_validation_kept"]
    assert g["cnn_validation_kept"] == pytest.approx(g["digits_cnn_val"])
    assert 1 <= g["cnn_validation_above_90_by"] <= 10
    assert g["digits_cnn_n"] == 1797 - 1300
    assert g["digits_cnn_test"] >= 97                              # chance: 10 %
    assert 1 <= g["digits_cnn_kept"] <= 30


def test_cnn_finds_the_critical_temperature(built_book):
    g = glued(built_book, "neural/cnn")
    assert g["tc_found_exact"] == pytest.approx(2 / math.log(1 + math.sqrt(2)))
    assert 2.0 < g["tc_found_estimate"] < 2.6
    assert g["tc_found_error"] == pytest.approx(100 * abs(g["tc_found_estimate"] / g["tc_found_exact"] - 1))
    assert g["tc_found_error"] < 5
    assert g["tc_found_per_temperature"] == 30
    assert g["tc_found_n_train"] == 19 * 30                        # T < 2.0 and T > 2.6, 30 each
    assert g["phases_learned_lowest_ordered"] > 0.9 and g["phases_learned_highest_disordered"] < 0.1
    assert g["smeared_n_between"] >= 3 and g["smeared_at_2_1"] > 0.5 > g["smeared_at_2_5"]
    assert g["larger_lattice_error_24"] < g["tc_found_error"]
    assert 2.0 < g["larger_lattice_estimate_24"] < 2.6


@pytest.mark.parametrize("page", PAGES)
def test_learning_curves_draw_their_baseline_and_log_axes_read_as_powers(built_book, page):
    for figure in figures(built_book, page):
        layout = figure["layout"]
        for axis in (layout.get("yaxis", {}), layout.get("xaxis", {})):
            if axis.get("type") == "log":
                assert axis.get("exponentformat") == "power", title(figure)
        y_title = axis_title(layout.get("yaxis", {})).lower()
        if any(word in y_title for word in ("cross-entropy", "accuracy", "error", "p(ordered)")):
            assert baseline_traces(figure), f"{page}: {title(figure)!r} draws no baseline"
        legend = layout.get("legend", {})
        assert legend.get("x", 1.02) >= 1, f"{page}: {title(figure)!r} has its legend over the data"


def test_training_page_links_its_own_exercise():
    from conftest import ROOT
    text = (ROOT / "chapters" / "neural" / "training.md").read_text()
    assert "{download}`exercises/training/training.ipynb" in text.split("## Exercise")[1]
    student = json.loads((ROOT / "exercises" / "training" / "training.ipynb").read_text())
    source = json.loads((ROOT / "solutions" / "training" / "training.ipynb").read_text())
    points = sum(c["metadata"]["nbgrader"].get("points", 0) for c in source["cells"]
                 if c["metadata"].get("nbgrader", {}).get("grade"))
    assert points == 10
    text = json.dumps(student)
    assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text
    assert "60 seconds" in "".join(student["cells"][0]["source"])
