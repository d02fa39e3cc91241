"""Dense networks and optimizers from scratch against autograd and torch.optim."""
import pytest
import torch
from torch.nn import functional as F

from book.nn import MLP, OPTIMIZERS, TwoLayerNet

TORCH_OPTIMIZERS = {"sgd": lambda p, lr, wd: torch.optim.SGD(p, lr=lr, weight_decay=wd),
                    "momentum": lambda p, lr, wd: torch.optim.SGD(p, lr=lr, momentum=0.9, weight_decay=wd),
                    "rmsprop": lambda p, lr, wd: torch.optim.RMSprop(p, lr=lr, alpha=0.99, eps=1e-8, weight_decay=wd),
                    "adam": lambda p, lr, wd: torch.optim.Adam(p, lr=lr, weight_decay=wd)}


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid", "linear"])
def test_backprop_by_hand_equals_autograd(activation):
    torch.manual_seed(0)
    net = TwoLayerNet(5, 7, 3, activation=activation, seed=1)
    x, y = torch.randn(20, 5), torch.randint(0, 3, (20,))
    net.loss(x, y)
    ours = net.backward(y)
    params = [p.clone().requires_grad_() for p in net.parameters()]
    z = torch.nn.functional.linear(x, params[0], params[1])
    a = {"tanh": torch.tanh, "relu": torch.relu, "sigmoid": torch.sigmoid, "linear": lambda t: t}[activation](z)
    torch.nn.functional.cross_entropy(torch.nn.functional.linear(a, params[2], params[3]), y).backward()
    for mine, p in zip(ours, params):
        assert torch.allclose(mine, p.grad, atol=1e-6)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
@pytest.mark.parametrize("weight_decay", [0.0, 0.01])
def test_optimizers_follow_torch_optim(name, weight_decay):
    torch.manual_seed(2)
    ours_model, theirs_model = MLP(3, 8, 2, 2), MLP(3, 8, 2, 2)
    theirs_model.load_state_dict(ours_model.state_dict())
    ours = OPTIMIZERS[name](ours_model.parameters(), lr=0.01, weight_decay=weight_decay)
    theirs = TORCH_OPTIMIZERS[name](theirs_model.parameters(), 0.01, weight_decay)
    for _ in range(20):
        x, y = torch.randn(16, 3), torch.randint(0, 2, (16,))
        for model, opt in ((ours_model, ours), (theirs_model, theirs)):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
    for a, b in zip(ours_model.parameters(), theirs_model.parameters()):
        assert torch.allclose(a, b, atol=1e-5)


@pytest.mark.parametrize("stride,padding", [(1, 0), (1, 1), (2, 1), (2, 0)])
def test_conv2d_written_out_equals_torch_with_gradients(stride, padding):
    from book.nn.conv import conv2d
    torch.manual_seed(stride + 10 * padding)
    x = torch.randn(2, 3, 9, 8, dtype=torch.float64, requires_grad=True)
    w = torch.randn(4, 3, 3, 3, dtype=torch.float64, requires_grad=True)
    b = torch.randn(4, dtype=torch.float64, requires_grad=True)
    ours, theirs = conv2d(x, w, b, stride, padding), F.conv2d(x, w, b, stride, padding)
    assert ours.shape == theirs.shape and torch.allclose(ours, theirs, atol=1e-5)
    upstream = torch.randn_like(ours)
    for mine, reference in zip(torch.autograd.grad(ours, (x, w, b), upstream),
                               torch.autograd.grad(theirs, (x, w, b), upstream)):
        assert torch.allclose(mine, reference, atol=1e-5)
    assert torch.allclose(conv2d(x.float(), w.float(), None, stride, padding),
                          F.conv2d(x.float(), w.float(), None, stride, padding), atol=1e-5)


@pytest.mark.parametrize("size,stride", [(2, None), (3, 1), (3, 2)])
def test_max_pool_written_out_equals_torch_with_gradients(size, stride):
    from book.nn.conv import max_pool2d
    torch.manual_seed(size)
    x = torch.randn(2, 3, 9, 7, requires_grad=True)
    ours, theirs = max_pool2d(x, size, stride), F.max_pool2d(x, size, stride)
    assert torch.equal(ours, theirs)
    upstream = torch.randn_like(ours)
    assert torch.allclose(torch.autograd.grad(ours, x, upstream)[0],
                          torch.autograd.grad(theirs, x, upstream)[0], atol=1e-6)


def test_fit_learns_and_early_stopping_restores_the_best_epoch():
    from book.nn.training import accuracy, evaluate_loss, fit
    torch.manual_seed(0)
    X = torch.randn(200, 5)
    y = (X[:, 0] + X[:, 1] > 0).long()
    flipped = y.clone()
    flipped[:20] = 1 - flipped[:20]                      # noisy labels invite overfitting
    model = MLP(5, 128, 2, 2, "relu")
    history = fit(model, X[:100], flipped[:100], X[100:], y[100:], epochs=200, lr=3e-3,
                  patience=10, progress=False)
    assert history.stopped_early and len(history.val_loss) < 200
    assert evaluate_loss(model, X[100:], y[100:]) == pytest.approx(min(history.val_loss), rel=1e-5)
    assert accuracy(model, X[100:], y[100:]) > 0.8


def test_schedules_shrink_the_learning_rate():
    from book.nn.training import fit
    model = MLP(2, 4, 1, 2)
    X, y = torch.randn(10, 2), torch.randint(0, 2, (10,))
    for schedule, last in (("constant", 0.1), ("step", 0.001), ("cosine", None)):
        rates = fit(model, X, y, epochs=9, lr=0.1, schedule=schedule, progress=False).learning_rate
        assert rates[0] == pytest.approx(0.1) and all(a >= b for a, b in zip(rates, rates[1:]))
        if last is not None:
            assert rates[-1] == pytest.approx(last)


def test_race_moves_every_optimizer_and_drops_the_diverged_one():
    from book.nn.race import SURFACES, Race
    for surface in SURFACES:
        race = Race(surface)
        for _ in range(50):
            race.step()
        assert all(losses[-1] < losses[0] for losses in race.losses.values()), surface
    race = Race("ravine", {"sgd": 1.0})                  # beyond 2 / curvature: SGD blows up
    for _ in range(400):
        race.step()
    assert race.diverged["sgd"] is not None and race.diverged["adam"] is None
    assert race.losses["adam"][-1] < 1e-3


def test_crossing_interpolates_where_belief_falls_through_one_half():
    import numpy as np

    from book.nn.cnn import crossing
    T = np.repeat([1.0, 2.0, 3.0], 2)
    p = np.array([1.0, 1.0, 0.8, 0.6, 0.0, 0.2])        # means 1.0, 0.7, 0.1
    assert crossing(T, p) == pytest.approx(2.0 + 0.2 / 0.6)
