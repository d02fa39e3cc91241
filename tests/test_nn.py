"""Dense networks and optimizers from scratch against autograd and torch.optim."""
import pytest
import torch

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
