"""What the introduction and Part I say, pinned to the numbers their executed pages glued.

Each page binds its sentences with ``book.claims.claim`` (the build fails if one is false);
these tests read the glued evidence of the built book and pin the effects themselves, so that
a change which keeps a claim true by weakening it (or drops the claim) is still caught. The
figure tests read the executed plotly figures: region colours match point colours, log axes
read as powers of ten, legends sit outside the plot.
"""
import math
import re

import numpy as np
import pytest

from built import figures, glued

PAGES = ["intro", "classical/pca", "classical/kernel_pca", "classical/tsne", "classical/kmeans",
         "classical/linear_regression", "classical/linear_classifiers"]


@pytest.mark.parametrize("page", PAGES)
def test_every_claim_held_and_provenance_was_stated(built_book, page):
    g = glued(built_book, page)
    verdicts = {key: value for key, value in g.items() if value is True}
    assert verdicts, f"{page} glued no verdict of a claim"
    assert "random seed" in g["provenance"] and "baseline" in g["provenance"]


def test_intro_ising_orders_below_tc_and_not_above(built_book):
    g = glued(built_book, "intro")
    assert g["ising_order_random_m"] == pytest.approx(math.sqrt(2 / (math.pi * 1024)), rel=1e-6)
    assert g["ising_order_cold_m"] > 0.9                     # T = 1.5: almost all spins up (black)
    assert g["ising_order_critical_m"] < 0                   # T_c: mostly down (white), as the text says
    assert abs(g["ising_order_hot_m"]) < 3 * g["ising_order_random_m"]
    assert g["ising_order_cold_agree"] > g["ising_order_critical_agree"] > g["ising_order_hot_agree"] > 50


def test_pca_digits_and_ising_order_parameter(built_book):
    g = glued(built_book, "classical/pca")
    assert g["digits_pcs_two"] == pytest.approx(28.5, abs=1.0)
    assert g["digits_pcs_ten"] == pytest.approx(73.8, abs=1.0)
    assert g["digits_pcs_random"] < 5 and g["digits_pcs_two"] > 5 * g["digits_pcs_random"]
    apart = min(g["digits_plane_zero"], g["digits_plane_four"], g["digits_plane_six"])
    buried = max(g["digits_plane_five"], g["digits_plane_eight"])
    assert apart > 70 and buried < 40 and buried < g["digits_plane_three"] < apart
    assert g["ising_pc_corr"] > 0.99 and g["ising_pc_cosine"] > 0.99
    assert g["ising_pc_random_corr"] < 0.2
    assert g["ising_pc_share"] > 40
    assert g["ising_phases_cold"] > 0.95 and g["ising_phases_hot"] < 0.25


def test_kernel_pca_radius_is_the_third_component(built_book):
    g = glued(built_book, "classical/kernel_pca")
    assert 55 < g["circles_cut_linear"] < 75                 # one side of the outer ring sliced off
    assert max(g["circles_cut_first"], g["circles_cut_second"]) < g["circles_cut_linear"] + 5
    assert g["circles_cut_third"] == 100
    assert g["circles_cut_r_third"] > 0.95 and g["circles_cut_r_first"] < 0.2
    assert 0.5 < g["circles_cut_ratio"] < 1
    assert g["circles_angle_fit"] > 95                       # components 1, 2: cos and sin of the angle
    assert g["circles_sides_gap"] > 0                        # inner circle > 0 > outer ring


def test_kernel_pca_width_sweep(built_book):
    g = glued(built_book, "classical/kernel_pca")
    assert g["gamma_wide_first_two_max"] < 80
    assert g["gamma_variance_small"] < 0.1 < 0.8 < g["gamma_variance_matched"]
    assert g["gamma_variance_like_linear"] > 99              # small gamma: kernel PCA is PCA
    assert g["gamma_narrow_r_max"] < 0.3                    # no leading component follows r
    assert g["gamma_narrow_best"] < 90                       # nor separates the circles


def test_tsne_perplexity_islands_and_clumps(built_book):
    g = glued(built_book, "classical/tsne")
    assert g["sigma_grows_worst"] < 0.01
    assert g["sigma_grows_s5"] < g["sigma_grows_s30"] < g["sigma_grows_s100"]
    assert g["tsne_islands_tsne"] > g["tsne_islands_pca"] + 20
    assert 40 < g["tsne_islands_pca"] < 75
    assert 10 <= g["tsne_islands_clumps"] < 20 and g["tsne_islands_whole"] >= 5
    assert g["tsne_islands_strays"] == round(500 * (1 - g["tsne_islands_tsne"] / 100))
    assert g["perplexity_fragments_clumps_2"] > 2 * g["perplexity_fragments_clumps_30"]
    assert g["perplexity_fragments_clumps_5"] > g["perplexity_fragments_clumps_30"]
    assert g["perplexity_fragments_agree_max"] - g["perplexity_fragments_agree_min"] < 3
    assert g["noise_clumps_small"] > 10 * g["noise_clumps_large"]


def test_kmeans_finds_blobs_elbow_and_fails_where_it_should(built_book):
    g = glued(built_book, "classical/kmeans")
    assert g["blobs_found_ari"] > 0.95
    assert g["blobs_found_ours"] == pytest.approx(g["blobs_found_sklearn"], rel=1e-6)
    assert g["elbow_k"] == 3
    assert g["elbow_J1"] > g["elbow_J2"] > g["elbow_J3"] > g["elbow_J4"]
    assert g["elbow_J2"] - g["elbow_J3"] > 5 * (g["elbow_J3"] - g["elbow_J4"])
    assert g["elbow_kept"] < 10
    assert g["kmeans_fails_unstretched"] > 0.95 > 0.7 > g["kmeans_fails_stretched"]
    assert g["kmeans_fails_moons"] < 0.5 and g["kmeans_fails_circles"] < 0.1
    assert g["kmeans_fails_stretched_found"] < g["kmeans_fails_stretched_truth"]
    # seeding: single runs from random points get stuck, from k-means++ not
    assert g["seeding_random"] >= 2 and g["seeding_plus"] == 0 and g["seeding_worst"] > 1.5


def test_linear_regression_descent_rates(built_book):
    g = glued(built_book, "classical/linear_regression")
    assert g["gd_agrees_gap"] < 1e-3
    assert 1 < g["gd_agrees_eta_max"] < 3
    assert g["gd_rates_slow_left"] > 10                      # creeping: the flat direction is left
    assert g["gd_rates_zigzag_loss"] == pytest.approx(g["gd_rates_minimum"], abs=5e-5)
    assert g["gd_rates_slow_loss"] > 1.1 * g["gd_rates_minimum"]
    assert g["gd_rates_wild_loss"] > 10 * g["gd_rates_wild_start"]


def test_linear_regression_penalties_and_bias_variance(built_book):
    g = glued(built_book, "classical/linear_regression")
    assert g["ridge_shrinks_smallest"] > 0                   # ridge sets no coefficient to zero
    assert g["lasso_selects_first"] < g["lasso_selects_last"]
    assert g["lasso_selects_gap"] < 1e-6
    assert 2 <= g["bias_variance_best"] <= 5
    assert g["bias_variance_total"] < g["bias_variance_baseline"] / 10
    assert g["bias_variance_bias_low"] > 10 * g["bias_variance_bias_best"]
    assert g["bias_variance_variance_high"] > 5 * g["bias_variance_variance_best"]


def test_ridge_solves_the_closed_form_of_the_page():
    """The page: Ridge adds lambda ||w||^2 to L = ||Xw - y||^2 / (2n), solved by
    (X^T X + 2 n lambda I) w = X^T y on centred data; the code's alpha is 2 n lambda, as in
    scikit-learn's Ridge."""
    from sklearn.linear_model import Ridge as SklearnRidge

    from book.classical import linear_model
    rng = np.random.default_rng(7)
    X, y = rng.normal(size=(40, 4)), rng.normal(size=40)
    n, lam = len(y), 0.3
    ours = linear_model.Ridge(alpha=2 * n * lam).fit(X, y)
    Xc, yc = X - X.mean(0), y - y.mean()
    closed = np.linalg.solve(Xc.T @ Xc + 2 * n * lam * np.eye(4), Xc.T @ yc)
    assert np.allclose(ours.coef_, closed, atol=1e-10)
    gradient = Xc.T @ (Xc @ ours.coef_ - yc) / n + 2 * lam * ours.coef_
    assert np.abs(gradient).max() < 1e-10
    assert np.allclose(ours.coef_, SklearnRidge(alpha=2 * n * lam).fit(X, y).coef_, atol=1e-8)


def test_linear_classifiers_effects(built_book):
    g = glued(built_book, "classical/linear_classifiers")
    assert 80 < g["moons_tips_acc"] < 95
    assert g["moons_tips_wrong_at_tips"] > 80 and g["moons_tips_points_at_tips"] < 30
    assert g["digits_linear_test"] > 90 and g["digits_linear_majority"] < 15
    assert g["digits_linear_train"] - g["digits_linear_test"] < 2
    assert g["digits_linear_constant"] == pytest.approx(math.log(10), abs=0.01)
    assert g["digits_linear_loss"] < g["digits_linear_constant"] / 5
    assert abs(g["digits_linear_start"] - g["digits_linear_constant"]) < 0.2
    assert g["svm_kernel_linear"] < 65 and g["svm_kernel_rbf"] > 95
    assert g["svm_support_same"] == 100 and g["svm_support_n_support"] < g["svm_support_n"] / 4


def _rgb(colour):
    if colour.startswith("#"):
        return np.array([int(colour[k:k + 2], 16) for k in (1, 3, 5)], dtype=float)
    return np.array([float(v) for v in re.findall(r"[\d.]+", colour)[:3]])


def _same_hue(a, b):
    """Two colours whose strongest channel is the same (a tint of blue is still blue)."""
    a, b = _rgb(a), _rgb(b)
    return int(np.argmax(a - a.min())) == int(np.argmax(b - b.min()))


@pytest.mark.parametrize("page", PAGES)
def test_figures_log_axes_legends_and_region_colours(built_book, page):
    for fig in figures(built_book, page):
        layout = fig.get("layout", {})
        for name, axis in layout.items():
            if re.fullmatch(r"[xy]axis\d*", name) and axis.get("type") == "log":
                assert axis.get("exponentformat") == "power", f"{page}: {name} is not in powers of ten"
        legend = layout.get("legend", {})
        if "x" in legend:
            assert legend["x"] >= 1, f"{page}: a legend sits inside the plot"
        heatmaps = [t for t in fig["data"] if t.get("type") == "heatmap" and t.get("showscale")]
        points = {t["name"]: t["marker"]["color"] for t in fig["data"]
                  if t.get("type") == "scatter" and str(t.get("name", "")).startswith("class ")}
        for heat in heatmaps:                                   # a decision boundary
            assert heat["colorbar"]["title"]["text"] == "p(class 1)"
            low, high = heat["colorscale"][0][1], heat["colorscale"][-1][1]
            assert _same_hue(low, points["class 0"]) and _same_hue(high, points["class 1"])
            assert not _same_hue(low, high)


def test_decision_boundary_colours_follow_the_predicted_class():
    from book import plots
    X = np.array([[-1.0, 0.0], [1.0, 0.0]])
    y = np.array([0, 1])
    fig = plots.decision_boundary(lambda grid: np.stack([grid[:, 0] < 0, grid[:, 0] >= 0], 1) * 1.0,
                                  X, y, resolution=20)
    heat = next(t for t in fig.data if t.type == "heatmap")
    blue, red = {t.name: t.marker.color for t in fig.data if t.type == "scatter"}.values()
    left = heat.z[:, 0].mean()                                   # p(class 1) where class 0 lies
    assert left == 0 and heat.z[:, -1].mean() == 1
    assert _same_hue(heat.colorscale[0][1], blue) and _same_hue(heat.colorscale[-1][1], red)
    assert heat.showscale and heat.colorbar.title.text == "p(class 1)"
    colorbar_top = heat.colorbar.y + heat.colorbar.len
    assert fig.layout.legend.x >= 1 and colorbar_top < 0.7       # legend above, colour bar below


def test_ising_images_draw_spin_up_black():
    from book import plots
    fig = plots.image_grid([np.array([[1, -1], [-1, 1]])], ["spins"], n_cols=1)
    scale = fig.data[0].colorscale                              # low value first
    assert _rgb(scale[-1][1]).sum() == 0 and _rgb(scale[0][1]).sum() == 3 * 255
