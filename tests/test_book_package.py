"""The from-scratch models of book/ against scikit-learn, and the Ising sampler's physics."""
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from sklearn import cluster, decomposition, linear_model as sk_linear

from book import device
from book.classical import classifiers, linear_model, metrics, tsne
from book.classical.cluster import KMeans
from book.data import T_CRITICAL, load_digits, magnetization, make_2d, sample_ising
from book.classical.kernel_pca import KernelPCA
from book.classical.pca import PCA


def test_pca_equals_scikit_learn():
    X = np.random.default_rng(0).normal(size=(200, 8)) @ np.random.default_rng(1).normal(size=(8, 8))
    ours, theirs = PCA(4).fit(X), decomposition.PCA(4, svd_solver="full").fit(X)
    assert np.allclose(ours.transform(X), theirs.transform(X), atol=1e-8)
    assert np.allclose(ours.explained_variance_ratio_, theirs.explained_variance_ratio_, atol=1e-12)
    assert np.allclose(ours.inverse_transform(ours.transform(X)),
                       theirs.inverse_transform(theirs.transform(X)), atol=1e-8)


@pytest.mark.parametrize("n_samples,noise,seed", [(300, 0.15, 0), (401, 0.2, 3), (7, 0.0, 1)])
def test_moons_and_circles_are_scikit_learns_point_for_point(n_samples, noise, seed):
    from sklearn import datasets
    for ours, theirs in ((make_2d("moons", n_samples, noise, seed),
                          datasets.make_moons(n_samples, noise=noise, random_state=seed)),
                         (make_2d("circles", n_samples, noise, seed),
                          datasets.make_circles(n_samples, noise=noise, factor=0.4, random_state=seed))):
        assert np.array_equal(ours[0], theirs[0]) and np.array_equal(ours[1], theirs[1])


def test_kernel_pca_equals_scikit_learn_up_to_sign():
    X, _ = make_2d("circles", 200, noise=0.05)
    ours = KernelPCA(3, gamma=2.0).fit_transform(X)
    theirs = decomposition.KernelPCA(3, kernel="rbf", gamma=2.0, eigen_solver="dense").fit_transform(X)
    assert np.allclose(np.abs(ours), np.abs(theirs), atol=1e-8)


def test_kmeans_reaches_scikit_learns_inertia():
    X, _ = make_2d("blobs", 300, seed=3)
    ours = KMeans(3, random_state=0).fit(X)
    theirs = cluster.KMeans(3, n_init=10, random_state=0).fit(X)
    assert ours.inertia_ == pytest.approx(theirs.inertia_, rel=1e-6)
    assert np.array_equal(ours.predict(X), ours.labels_)


def test_linear_models_equal_scikit_learn():
    rng = np.random.default_rng(4)
    X, y = rng.normal(size=(60, 5)), rng.normal(size=60)
    pairs = [(linear_model.LinearRegression(), sk_linear.LinearRegression()),
             (linear_model.Ridge(alpha=3.0), sk_linear.Ridge(alpha=3.0)),
             (linear_model.Lasso(alpha=0.05), sk_linear.Lasso(alpha=0.05, tol=1e-12, max_iter=100000))]
    for ours, theirs in pairs:
        ours.fit(X, y), theirs.fit(X, y)
        assert np.allclose(ours.coef_, theirs.coef_, atol=1e-6), type(ours).__name__
        assert ours.intercept_ == pytest.approx(theirs.intercept_, abs=1e-6)


def test_gradient_descent_converges_below_and_diverges_above_two_over_h_max():
    rng = np.random.default_rng(5)
    x = rng.uniform(-1, 1, size=(40, 1))
    y = 2 * x[:, 0] + 1
    Xb = linear_model.add_bias(x)
    eta_max = 2 / np.linalg.eigvalsh(Xb.T @ Xb / len(x)).max()
    good = linear_model.gradient_descent(x, y, learning_rate=0.9 * eta_max, n_steps=500)
    bad = linear_model.gradient_descent(x, y, learning_rate=1.1 * eta_max, n_steps=500)
    assert np.allclose(good.weights, [1, 2], atol=1e-6)
    assert bad.loss[-1] > 1e6


def test_bias_falls_and_variance_rises_with_degree():
    result = linear_model.bias_variance([1, 3, 9], n_datasets=60, seed=1)
    assert result["bias2"][0] > result["bias2"][1]
    assert result["variance"][2] > result["variance"][1]


def test_softmax_regression_learns_digits():
    X, y = load_digits()
    fit = classifiers.fit_softmax_regression(X[:1000], y[:1000], n_epochs=150, seed=0)
    assert fit.loss[-1] < fit.loss[0] / 3
    assert classifiers.accuracy(fit.model, X[1000:], y[1000:]) > 0.85
    proba = classifiers.predict_proba(fit.model, X[:5])
    assert np.allclose(proba.sum(1), 1, atol=1e-6)


def test_conditional_probabilities_reach_the_requested_perplexity():
    X = np.random.default_rng(6).normal(size=(80, 5))
    for perplexity in (5.0, 20.0):
        P, sigmas = tsne.conditional_probabilities(X, perplexity)
        assert np.allclose(P.sum(1), 1)
        assert np.allclose(np.diag(P), 0)
        assert np.allclose(tsne.perplexity_of(P), perplexity, rtol=1e-3)
        assert (sigmas > 0).all()


def test_best_threshold_accuracy_matches_brute_force():
    rng = np.random.default_rng(7)
    score, labels = rng.normal(size=50), rng.integers(0, 2, 50)
    brute = max(max(((score > c) == labels).mean(), ((score <= c) == labels).mean())
                for c in np.concatenate([[-np.inf], score]))
    assert metrics.best_threshold_accuracy(score, labels) == pytest.approx(brute)


def test_ising_sampler_orders_below_and_disorders_above_the_critical_temperature():
    spins, T = sample_ising([1.5, T_CRITICAL, 4.0], n_samples=20, size=16, seed=0)
    assert spins.dtype == np.int8 and set(np.unique(spins)) <= {-1, 1}
    m = np.abs(magnetization(spins))
    assert m[T == 1.5].mean() > 0.95
    assert m[T == 4.0].mean() < 0.2
    again, _ = sample_ising([1.5, T_CRITICAL, 4.0], n_samples=20, size=16, seed=0)
    assert np.array_equal(spins, again), "same seed, same configurations"


def test_device_choice_and_override(monkeypatch):
    monkeypatch.setenv("COURSE_DEVICE", "cpu")
    assert device.get_device() == torch.device("cpu")
    assert device.describe() == "cpu"
    monkeypatch.delenv("COURSE_DEVICE")
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    if not torch.cuda.is_available() and getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        expected = "mps"
    assert device.get_device().type == expected
    if not torch.cuda.is_available():
        monkeypatch.setenv("COURSE_DEVICE", "cuda")
        with pytest.raises(RuntimeError, match="no CUDA"):
            device.get_device()


@pytest.mark.gpu
def test_softmax_regression_on_cuda_matches_cpu():
    X, y = make_2d("moons", 200)
    cpu = classifiers.fit_softmax_regression(X, y, n_epochs=50, device=torch.device("cpu"))
    gpu = classifiers.fit_softmax_regression(X, y, n_epochs=50, device=torch.device("cuda"))
    assert gpu.device.startswith("cuda")
    assert np.allclose(cpu.loss, gpu.loss, atol=1e-4)


@pytest.mark.parametrize("setting,threads", [(None, 1), ("2", 2)])
def test_the_course_runs_torch_on_its_cpu_threads(setting, threads):
    """Importing the course's torch code sets torch's CPU threads once (book.device): one by
    default, COURSE_CPU_THREADS otherwise; the pages, widgets and static runs share it."""
    env = {k: v for k, v in os.environ.items() if k != "COURSE_CPU_THREADS"}
    if setting:
        env["COURSE_CPU_THREADS"] = setting
    code = ("import torch; torch.set_num_threads(2); import book.rnn, book.nn, book.widgets; "
            "print(torch.get_num_threads())")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True).stdout
    assert out.split()[-1] == str(threads)
