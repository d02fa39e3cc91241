"""Unsupervised networks (book.generative): the RBM's conditionals, free energy and exact
likelihood, and contrastive divergence on the exact Ising distribution of a 4 x 4 lattice; autoencoders against PCA,
as denoisers and as detectors"""
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
    assert g["denoising"] is True and 9 < g["denoising_noise"] < 11
    assert max(g["denoising_rbm"], g["denoising_pca"]) < g["denoising_noise"] - 3
    assert abs(g["denoising_rbm"] - g["denoising_pca"]) < 1


def test_a_linear_autoencoder_reaches_pcas_error_and_plane():
    import torch
    from book.generative import autoencoder as ae
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 6)) @ np.diag([3.0, 2.0, 1.0, 0.3, 0.2, 0.1]) + 1.0
    model = ae.Autoencoder(6, 2, activation="linear", seed=0)
    ae.fit(model, torch.tensor(X, dtype=torch.float32), epochs=150, batch_size=100, lr=0.02)
    pca = ae.pca_errors(X, 2, X).mean()
    assert np.isclose(pca, (300 - 1) / 300 * np.sort(np.linalg.eigvalsh(np.cov(X.T)))[:4].sum())
    error = ae.reconstruction_error(model, torch.tensor(X, dtype=torch.float32)).mean()
    assert pca <= error < 1.02 * pca
    axes = np.linalg.svd(X - X.mean(0), full_matrices=False)[2][:2].T
    assert ae.principal_angle_cosines(ae.linear_decoder_basis(model), axes).min() > 0.99
    # the code is a mix of the principal coordinates, not the coordinates themselves
    assert ae.principal_angle_cosines(axes, axes @ np.array([[1.0, 2.0], [0.5, -1.0]])).min() > 1 - 1e-12
    assert ae.principal_angle_cosines(np.eye(3)[:, :1], np.eye(3)[:, 1:2])[0] < 1e-12


def test_a_denoising_autoencoder_sees_noise_and_is_scored_on_the_clean_input():
    import torch
    from book.generative import autoencoder as ae
    X = torch.rand(64, 5)
    seen = []

    class Recorder(torch.nn.Module):          # the identity, recording what it is fed
        def __init__(self):
            super().__init__()
            self.scale = torch.nn.Parameter(torch.ones(()))

        def forward(self, x):
            seen.append(x.detach().clone())
            return self.scale * x

    losses = ae.fit(Recorder(), X, epochs=1, batch_size=64, lr=0.0, noise=0.5)
    noise = seen[0] - X[torch.randperm(64, generator=torch.Generator().manual_seed(0))]
    assert 0.4 < noise.std() < 0.6                        # fed noisy inputs
    assert np.isclose(losses[0], (noise ** 2).sum(1).mean().item(), rtol=1e-5)   # against clean targets


def test_roc_auc_is_the_mann_whitney_probability():
    from book.generative.autoencoder import roc_auc
    assert roc_auc([1, 3], [2, 4]) == 0.75 and roc_auc([1, 2], [2]) == 0.75 and roc_auc([0, 0], [0]) == 0.5
    rng = np.random.default_rng(1)
    normal, unusual = rng.normal(0, 1, 400), rng.normal(1, 1, 300)
    # for two normal distributions one standard deviation apart: Phi(1 / sqrt 2) = 0.760
    assert abs(roc_auc(normal, unusual) - 0.760) < 0.04


def test_the_autoencoders_page_measures_pca_denoising_and_detection(built_book):
    from built import glued
    g = glued(built_book, "generative/autoencoders")
    assert g["linear_is_pca"] is True and g["denoise"] is True and g["unusual"] is True
    assert abs(g["linear_is_pca_linear"] - g["linear_is_pca_pca"]) < 0.01 * g["linear_is_pca_pca"]
    assert g["linear_is_pca_cosine"] > 0.99
    assert g["linear_is_pca_nonlinear"] < 0.85 * g["linear_is_pca_pca"] < g["linear_is_pca_mean"]
    assert g["denoise_dae"] < 0.8 * g["denoise_pca"] <= 0.8 * g["denoise_pca16"]
    assert g["denoise_pca"] < min(g["denoise_noisy"] / 2, g["denoise_pca2"], g["denoise_pca48"])
    assert g["unusual_dae"] > max(0.95, g["unusual_pca"]) and g["unusual_pca"] > 0.5
    assert g["unusual_n_unusual"] == 179 and g["unusual_n_normal"] > 350


def test_the_vae_loss_is_the_bernoulli_likelihood_and_the_gaussian_kl():
    import torch
    from book.generative.vae import VAE
    model = VAE(6, latent_size=3, hidden_size=5, betas=(1.0, 2.0), seed=0)
    x = torch.rand(4, 6)
    reconstruction, kl = model.losses(x, torch.Generator().manual_seed(0))
    mu, log_var = model.encode(x)
    eps = torch.randn((4, 3), generator=torch.Generator().manual_seed(0))
    probs = model.decode(mu + (0.5 * log_var).exp() * eps)
    nll = -(x * probs.log() + (1 - x) * (1 - probs).log()).sum(-1).mean(-1)
    q = torch.distributions.Normal(mu, (0.5 * log_var).exp())
    exact = torch.distributions.kl_divergence(q, torch.distributions.Normal(0.0, 1.0)).sum(-1).mean(-1)
    torch.testing.assert_close(reconstruction, nll, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(kl, exact, rtol=1e-5, atol=1e-6)


def test_vaes_in_lockstep_train_as_each_would_alone():
    import torch
    from book.generative import vae
    X = torch.rand(100, 8)
    both = vae.VAE(8, 2, 6, betas=(0.5, 3.0), seed=1)
    alone = vae.VAE(8, 2, 6, betas=(3.0,), seed=1)
    vae.fit(both, X, epochs=3, batch_size=32, lr=0.01, seed=2)
    vae.fit(alone, X, epochs=3, batch_size=32, lr=0.01, seed=2)
    for mine, its in zip(both.parameters(), alone.parameters()):
        torch.testing.assert_close(mine[1:], its, rtol=1e-6, atol=1e-7)
    assert not torch.allclose(next(both.parameters())[0], next(alone.parameters())[0])


def test_the_vae_page_measures_the_latent_plane_and_the_beta_tradeoff(built_book):
    from built import glued
    g = glued(built_book, "generative/vae")
    assert g["latent_classes"] is True and g["beta_tradeoff"] is True
    assert g["latent_classes_accuracy"] > max(50, g["latent_classes_pca"] + 5)   # chance: 10 %
    assert g["beta_tradeoff_rec_low"] < g["beta_tradeoff_rec_one"] < g["beta_tradeoff_rec_high"]
    assert g["beta_tradeoff_kl_low"] > g["beta_tradeoff_kl_one"] > g["beta_tradeoff_kl_two"] > 0.1
    assert g["beta_tradeoff_kl_two"] > g["beta_tradeoff_kl_four"] > g["beta_tradeoff_kl_high"]
    assert g["beta_tradeoff_kl_high"] < 0.01 and g["beta_tradeoff_active_four"] < 2
    assert abs(g["beta_tradeoff_rec_high"] - g["beta_tradeoff_no_code"]) < 0.01 * g["beta_tradeoff_no_code"]
    assert g["beta_tradeoff_spread"] < 0.05


def test_the_gan_losses_are_the_cross_entropies_and_their_slopes_saturate_as_derived():
    import torch
    from torch.nn import functional as F
    from book.generative import gan
    model = gan.GAN(("minimax", "non-saturating"), seeds=(0, 0))
    real, fake = gan.sample_ring(50, generator=torch.Generator().manual_seed(0)), model.sample(40)
    d_real, d_fake = model.logits(real.expand(2, -1, -1)), model.logits(fake)
    expected = (F.binary_cross_entropy_with_logits(d_real, torch.ones_like(d_real), reduction="none").mean(-1)
                + F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake), reduction="none").mean(-1))
    torch.testing.assert_close(model.discriminator_loss(real, fake), expected)
    d = torch.sigmoid(d_fake)
    minimax = torch.log(1 - d[0]).mean()
    non_saturating = F.binary_cross_entropy_with_logits(d_fake[1], torch.ones_like(d_fake[1]))
    torch.testing.assert_close(model.generator_loss(fake), torch.stack([minimax, non_saturating]))
    # per point, the slopes in the logit: -sigmoid(l) and -(1 - sigmoid(l)), over the batch size
    logit = torch.tensor([[-8.0, 0.0, 3.0]] * 2, requires_grad=True)
    model.logits = lambda points: logit
    model.generator_loss(None).sum().backward()
    s = torch.sigmoid(logit.detach()[0])
    torch.testing.assert_close(logit.grad, torch.stack([-s, -(1 - s)]) / 3)
    assert logit.grad[0, 0].abs() < 1e-3 < logit.grad[1, 0].abs() / 100     # rejected: saturated


def test_gans_in_lockstep_train_as_each_would_alone_and_the_modes_are_counted():
    import torch
    from book.generative import gan
    both = gan.GAN(("minimax", "non-saturating"), seeds=(3, 4), hidden_size=8)
    alone = gan.GAN(("non-saturating",), seeds=4, hidden_size=8)
    for model in (both, alone):
        gan.head_start(model, steps=5)
        gan.fit(model, steps=10, d_steps=2, seed=1)
    for mine, its in zip(both.parameters(), alone.parameters()):
        torch.testing.assert_close(mine[1:], its, rtol=1e-5, atol=1e-6)
    assert not torch.allclose(both.generator[0].weight[0], alone.generator[0].weight[0])
    centers = gan.ring_centers()
    points = torch.cat([centers[[0, 0, 0, 3, 3, 3, 5]], torch.zeros(1, 2)])[None]   # 8 points
    assert gan.covered(points, centers, 0.1).nonzero()[:, 1].tolist() == [0, 3, 5]
    torch.testing.assert_close(gan.distance_to_ring(centers[None] * 1.5), torch.tensor([1.0]))


def test_the_gan_page_measures_saturation_what_it_costs_and_the_modes(built_book):
    from built import glued
    g = glued(built_book, "generative/gan")
    assert all(g[name] is True for name in ("saturation", "sgd", "adam", "hopping", "losses_tie"))
    assert g["saturation_ratio"] > 100 and g["saturation_rejected"] < 1          # per cent
    assert g["sgd_change"] < 1 and g["sgd_ns_end"] < g["sgd_start"] / 2 and g["sgd_ns_modes"] >= 1
    assert g["adam_minimax"] >= 5 and g["adam_ns"] >= 5 and g["hopping_hoppers"] >= 6
    assert g["adam_overshoot"] is True and g["collapse"] is True and g["collapse_high"] <= 6
