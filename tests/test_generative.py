"""Unsupervised networks (book.generative): the RBM's conditionals, free energy and exact
likelihood, and contrastive divergence on the exact Ising distribution of a 4 x 4 lattice."""
import numpy as np

from book.data.ising import boltzmann_distribution, sample_ising
from book.generative.rbm import RBM, all_states, kl_divergence, log_probs


def energy(rbm, v, h):
    return -(v @ rbm.visible_bias) - (h @ rbm.hidden_bias) - np.einsum("...j,jk,...k->...", h, rbm.weight, v)


def test_conditionals_and_free_energy_follow_from_the_energy():
    rbm = RBM(5, 3, seed=1)
    rbm.weight = rbm.rng.normal(0, 1, rbm.weight.shape)
    rbm.visible_bias, rbm.hidden_bias = rbm.rng.normal(0, 1, 5), rbm.rng.normal(0, 1, 3)
    v, hs = all_states(5), all_states(3)
    joint = np.exp(-energy(rbm, v[:, None, :], hs[None, :, :]))       # (32 v, 8 h), unnormalized
    # F(v) = -log sum_h exp(-E(v, h))
    np.testing.assert_allclose(rbm.free_energy(v), -np.log(joint.sum(1)), rtol=1e-12)
    # p(h_j = 1 | v) from the joint
    p_h = (joint[:, :, None] * hs[None]).sum(1) / joint.sum(1, keepdims=True)
    np.testing.assert_allclose(rbm.hidden_probs(v), p_h, rtol=1e-12)
    p_v = (joint[:, :, None] * v[:, None, :]).sum(0) / joint.sum(0)[:, None]
    np.testing.assert_allclose(rbm.visible_probs(hs), p_v, rtol=1e-12)
    assert np.isclose(np.exp(log_probs(rbm, v)).sum(), 1.0)


def test_the_exact_ising_distribution_is_boltzmanns():
    spins, p = boltzmann_distribution(4, 2.5)
    assert spins.shape == (2 ** 16, 16) and np.isclose(p.sum(), 1)
    lattice = spins.reshape(-1, 4, 4)
    energies = -sum((lattice * np.roll(lattice, 1, axis=a)).sum((1, 2)) for a in (1, 2))
    assert energies.min() == -32 and p.argmax() in (0, 2 ** 16 - 1)     # all down or all up
    np.testing.assert_allclose(p[:50] / p[0], np.exp(-(energies[:50] - energies[0]) / 2.5), rtol=1e-12)
    # the sampler's configurations follow it: mean |m| within sampling error
    samples, _ = sample_ising([2.5], n_samples=2000, size=4, n_sweeps=200, seed=0)
    exact = (p * np.abs(spins.mean(1))).sum()
    assert abs(np.abs(samples.reshape(2000, -1).mean(1)).mean() - exact) < 0.03


def test_contrastive_divergence_approaches_the_exact_distribution_and_cd10_more_than_cd1():
    spins, p = boltzmann_distribution(4, 2.5)
    states = (spins + 1) / 2
    assert np.array_equal(states, all_states(16))        # the same order of states
    samples, _ = sample_ising([2.5], n_samples=2000, size=4, n_sweeps=200, seed=0)
    v = (samples.reshape(2000, -1) + 1) / 2
    uniform = kl_divergence(p, np.full(len(p), -np.log(len(p))))
    kl = {}
    for k in (1, 10):
        rbm = RBM(16, 16, seed=0)
        for epoch in range(30):
            order = rbm.rng.permutation(len(v))
            for i in range(0, len(v), 50):
                rbm.contrastive_divergence(v[order[i:i + 50]], k=k, learning_rate=0.05)
        kl[k] = kl_divergence(p, log_probs(rbm, states))
    assert uniform > 5 and kl[1] < uniform / 2 and kl[10] < kl[1]


def test_the_rbm_page_measures_cd1_against_cd10_and_the_magnetization(built_book):
    from built import glued
    g = glued(built_book, "generative/rbm")
    assert g["cd_k"] is True and g["magnetization"] is True
    assert 6 < g["cd_k_uniform"] < 7                                  # log 2^16 minus the entropy at T_c
    assert g["cd_k_cd10"] < g["cd_k_cd1"] / 2 < g["cd_k_uniform"] / 4
    assert g["cd_k_cd10_12"] < g["cd_k_cd1_12"]
    assert abs(g["magnetization_cd10"] - g["magnetization_exact"]) < 0.05
    assert g["magnetization_random"] < 0.3 < 0.7 < g["magnetization_exact"]
