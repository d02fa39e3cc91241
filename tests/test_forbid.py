"""The from-scratch checks of the hidden tests catch every route to a forbidden computation,
even one the student's code caught itself, and leave the libraries working afterwards."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from book.grading.forbid import ForbiddenCall, forbidden

x, w = torch.randn(1, 2, 5, 5, dtype=torch.float64), torch.randn(3, 2, 3, 3, dtype=torch.float64)
from torch import conv2d as taken_earlier      # noqa: E402  a reference taken before the test


@pytest.mark.parametrize("route", [
    lambda: F.conv2d(x, w), lambda: taken_earlier(x, w), lambda: torch.nn.Conv2d(2, 3, 3).double()(x),
    lambda: torch.ops.aten.convolution(x, w, None, [1, 1], [0, 0], [1, 1], False, [0, 0], 1),
    lambda: F.unfold(x, 3)], ids=["functional", "captured", "module", "aten", "unfold"])
def test_every_route_to_a_convolution_is_refused(route):
    with pytest.raises(ForbiddenCall, match="write your own"):
        with forbidden(torch_ops=("convolution", "im2col"), why="write your own"):
            route()
    assert F.conv2d(x, w).shape == (1, 3, 3, 3), "switched on again afterwards"


def test_a_refusal_caught_by_the_student_still_fails():
    def sly():
        try:
            return F.conv2d(x, w)
        except Exception:
            return torch.zeros(1, 3, 3, 3)
    with pytest.raises(ForbiddenCall):
        with forbidden(torch_ops=("convolution",)):
            sly()


def test_own_arithmetic_passes():
    with forbidden(torch_ops=("convolution", "im2col"), autograd=True, functions=(np.cov,)):
        y = sum(torch.einsum("nchw,oc->nohw", x[:, :, p:p + 3, q:q + 3], w[:, :, p, q])
                for p in range(3) for q in range(3))
        np.linalg.eigh(np.eye(3))
    np.testing.assert_allclose(y, F.conv2d(x, w))


def test_numpy_functions_are_refused_under_any_name():
    from numpy import cov
    data = np.random.default_rng(0).normal(size=(20, 3))
    for route in (lambda: np.cov(data.T), lambda: cov(data.T), lambda: np.corrcoef(data.T)):
        with pytest.raises(ForbiddenCall, match="by hand"):
            with forbidden(functions=(np.cov,), why="by hand"):
                route()
    assert np.cov(data.T).shape == (3, 3)


def test_autograd_is_refused_where_backpropagation_is_the_exercise():
    W = torch.randn(4, 3, dtype=torch.float64)

    def with_autograd():
        leaf = W.clone().requires_grad_()
        torch.tanh(leaf).sum().backward()
        return leaf.grad

    def by_hand():
        return 1 - torch.tanh(W) ** 2
    with pytest.raises(ForbiddenCall, match="autograd"):
        with forbidden(autograd=True):
            with_autograd()
    with forbidden(autograd=True):
        mine = by_hand()
    torch.testing.assert_close(mine, with_autograd())


def test_every_scikit_learn_estimator_is_refused_through_check_array():
    from sklearn.decomposition import PCA, TruncatedSVD
    data = np.random.default_rng(0).normal(size=(30, 4))
    for estimator in (PCA(2), TruncatedSVD(2)):
        with pytest.raises(ForbiddenCall, match=r"sklearn\.check_array\(\) is not allowed"):
            with forbidden(packages=("sklearn",)):
                estimator.fit(data)
    assert PCA(2).fit(data).components_.shape == (2, 4)


def test_a_package_first_imported_inside_the_block_is_refused():
    """Where the notebook never imported scikit-learn, the test does not load it either: a
    student's function that imports it while the test runs is refused (a fresh interpreter)."""
    code = ("from book.grading.forbid import ForbiddenCall, forbidden\n"
            "import sys\n"
            "assert not [m for m in sys.modules if m.startswith('sklearn')]\n"
            "with forbidden(packages=('sklearn',), why='use your own'):\n"
            "    pass\n"
            "assert not [m for m in sys.modules if m.startswith('sklearn')], 'the check loaded it'\n"
            "def sly():\n"
            "    try:\n"
            "        from sklearn.decomposition import PCA\n"
            "        return PCA(1)\n"
            "    except Exception:\n"
            "        return None\n"
            "try:\n"
            "    with forbidden(packages=('sklearn',), why='use your own'):\n"
            "        sly()\n"
            "except ForbiddenCall as refusal:\n"
            "    print(refusal)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[1]).stdout
    assert "use your own (scikit-learn (sklearn" in out and "imported while the test ran" in out, out
