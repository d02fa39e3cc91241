"""Interpretability (book.interpret): the attacks against autograd and their constraints, and the
adversarial examples page's effects."""
import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from book.interpret import adversarial as adv
from book.nn.training import accuracy, fit


def small_model(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Linear(8, 3))


def test_fgsm_is_one_signed_gradient_step_and_pgd_one_step_is_fgsm():
    model, x, y = small_model(), torch.rand(20, 6), torch.randint(0, 3, (20,))
    x_ = x.clone().requires_grad_(True)
    gradient = torch.autograd.grad(F.cross_entropy(model(x_), y), x_)[0]
    expected = (x + 0.1 * gradient.sign()).clamp(0, 1)
    torch.testing.assert_close(adv.fgsm(model, x, y, 0.1), expected)
    torch.testing.assert_close(adv.pgd(model, x, y, 0.1, steps=1, alpha=0.1), expected)
    assert all(p.grad is None for p in model.parameters())          # the model untouched


def test_pgd_stays_in_the_ball_and_the_pixel_range_and_beats_fgsm_here():
    model, x, y = small_model(1), torch.rand(200, 6), torch.randint(0, 3, (200,))
    attacked = adv.pgd(model, x, y, 0.2, steps=20, alpha=0.05)
    assert (attacked - x).abs().max() <= 0.2 + 1e-6 and attacked.min() >= 0 and attacked.max() <= 1
    loss = lambda z: F.cross_entropy(model(z), y).item()   # noqa: E731
    assert loss(attacked) >= loss(adv.fgsm(model, x, y, 0.2)) > loss(x)
    noise = adv.random_signs(x, 0.2, torch.Generator().manual_seed(0))
    inside = (x > 0.2) & (x < 0.8)
    torch.testing.assert_close((noise - x)[inside].abs(), torch.full_like(x[inside], 0.2))


def test_accuracy_under_a_transfer_attack_scores_the_target():
    model, other = small_model(2), small_model(3)
    x, y = torch.rand(50, 6), torch.randint(0, 3, (50,))
    mine = adv.accuracy_under(model, x, y, adv.fgsm, [0.0, 0.3])
    theirs = adv.accuracy_under(model, x, y, adv.fgsm, [0.0, 0.3], target=other)
    assert mine[0] == accuracy(model, x, y) and theirs[0] == accuracy(other, x, y)
    assert theirs[1] == accuracy(other, adv.fgsm(model, x, y, 0.3), y)


def test_training_with_perturb_trains_on_the_perturbed_batches():
    X, y = torch.rand(64, 6), torch.randint(0, 3, (64,))
    seen = []
    fit(small_model(4), X, y, epochs=1, batch_size=32, perturb=lambda m, x, t: seen.append(x) or torch.zeros_like(x))
    assert len(seen) == 2 and sum(len(s) for s in seen) == 64
    plain, zeros = small_model(5), small_model(5)
    fit(plain, X, y, epochs=3, batch_size=32, seed=1)
    fit(zeros, X, y, epochs=3, batch_size=32, seed=1, perturb=lambda m, x, t: torch.zeros_like(x))
    assert not torch.allclose(plain[0].weight, zeros[0].weight)
    assert torch.allclose(zeros[0].weight, small_model(5)[0].weight)   # zero inputs: no gradient to W1


def test_the_adversarial_page_measures_attacks_control_training_and_transfer(built_book):
    from built import glued
    g = glued(built_book, "interpret/adversarial")
    assert g["attacks"] is True and g["defences"] is True
    assert g["attacks_clean"] > 90 and g["attacks_noise"] > g["attacks_clean"] - 5
    assert g["attacks_pgd"] <= g["attacks_fgsm"] < 60 < g["attacks_noise"]
    assert g["defences_trained"] > g["defences_standard"] + 20
    assert g["defences_clean_trained"] > g["defences_clean"] - 3
    assert g["defences_trained_wider"] > g["defences_standard_wider"] + 20
    assert g["defences_transferred"] < min(g["defences_other_noise"] - 20, g["defences_standard"] + 10)
    assert g["attacks_fgsm_small"] < g["attacks_noise_small"] - 5 and g["attacks_noise_max"] > 50


def test_dreams_raise_their_class_and_the_prior_smooths_them():
    from book.interpret import dreaming
    model = small_cnn()
    plain, history = dreaming.dream(model, [0, 1, 2], steps=60, lr=0.05, size=6)
    smooth, _ = dreaming.dream(model, [0, 1, 2], steps=60, lr=0.05, tv=1.0, size=6)
    assert history.shape == (60, 3) and (history[-1] > history[0]).all()
    assert plain.min() >= 0 and plain.max() <= 1
    assert (dreaming.total_variation(smooth) < dreaming.total_variation(plain)).all()
    flat = torch.full((1, 1, 3, 3), 0.4)
    assert dreaming.total_variation(flat).item() == 0
    ramp = torch.arange(3.0).repeat(3, 1)[None, None]
    assert dreaming.total_variation(ramp).item() == 6.0     # 3 rows x 2 steps of 1, no vertical change


def test_saliency_is_the_absolute_gradient_of_the_class_score_and_the_deletion_test():
    from book.interpret import dreaming
    model, x, y = small_cnn(), torch.rand(4, 1, 6, 6), torch.tensor([0, 1, 2, 0])
    maps = dreaming.saliency(model, x, y)
    for i in range(4):
        xi = x[i:i + 1].clone().requires_grad_(True)
        model(xi)[0, y[i]].backward()
        torch.testing.assert_close(maps[i], xi.grad[0].abs())
    everything = torch.arange(36).repeat(4, 1)
    assert dreaming.deletion_drop(model, x, y, everything, 0) == 0.0
    with torch.no_grad():
        p = F.softmax(model(x), 1)[torch.arange(4), y]
        blank = F.softmax(model(torch.zeros_like(x)), 1)[torch.arange(4), y]
    assert abs(dreaming.deletion_drop(model, x, y, everything, 36) - (p - blank).mean().item()) < 1e-6
    products = dreaming.gradient_times_input(model, x, y)
    torch.testing.assert_close(products.abs(), maps * x.abs())
    order = dreaming.random_ink_order(torch.tensor([[[[0.0, 0.5], [0.0, 0.2]]]]), torch.Generator().manual_seed(0))
    assert set(order[0, :2].tolist()) == {1, 3} and set(order[0, 2:].tolist()) == {0, 2}
    reference = torch.rand(10, 36)
    assert abs(dreaming.nearest_distance(reference[3:4].reshape(1, 1, 6, 6), reference)[0]) < 1e-5


def small_cnn():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 36, 3))


def test_the_dreaming_page_measures_dreams_and_saliency(built_book):
    from built import glued
    g = glued(built_book, "interpret/dreaming")
    assert g["dreams"] is True and g["saliency"] is True
    assert g["dreams_sure"] > 99 and g["dreams_far"] > 2 * g["dreams_grey"] and g["dreams_near"] > 3 * g["dreams_real"]
    assert g["dreams_classed"] >= 8 and g["dreams_classed_prior"] < g["dreams_classed"]
    assert g["dreams_smooth"] < g["dreams_rough_real"] / 4 < g["dreams_rough"]
    assert g["saliency_chance4"] < g["saliency_map4"] < g["saliency_product4"]
    assert g["saliency_map8"] < g["saliency_bright8"] < g["saliency_product4"] + 0.5 and g["saliency_blank"] > 20


def test_the_adversary_follows_its_sliders_with_the_attack_of_the_page():
    from book.interpret import adversarial as adv
    from book.widgets import Adversary
    widget = Adversary()
    assert widget.eps.min == 0 and widget.eps.max == 0.3 and widget.index.max == len(widget.X) - 1
    for attack in ("FGSM", "PGD, 10 steps", "random signs (the control)"):
        widget.attack.value = attack
        for eps in (0.0, 0.05, 0.2):
            widget.eps.value = eps
            x, attacked, before, after = widget.compute()
            shown = np.asarray(widget.images.data[2].z, dtype=float)[::-1].reshape(-1)
            np.testing.assert_allclose(shown, attacked.numpy(), atol=1e-3)
            assert (attacked - x).abs().max() <= eps + 1e-6
            np.testing.assert_allclose(np.asarray(widget.bars.data[1].y), after.numpy(), atol=1e-4)
            assert abs(float(after.sum()) - 1) < 1e-5
    widget.attack.value, widget.eps.value = "FGSM", 0.1
    x, attacked, _, _ = widget.compute()
    y = widget.y[widget.index.value][None]
    torch.testing.assert_close(attacked, adv.fgsm(widget.model, x[None], y, 0.1)[0])
    fooled = 0
    for index in range(20):                       # FGSM at 0.2 fools the network on most digits
        widget.index.value, widget.eps.value = index, 0.2
        fooled += "— fooled" in widget.status.value
    assert fooled >= 10, fooled
