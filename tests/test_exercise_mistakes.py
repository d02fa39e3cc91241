"""Exercises teach through their visible tests and keep their "from scratch" promises.

Each exercise lists at least three plausible mistakes, in ``tests/mistakes/<assignment>.py``
(the answer cell replaced by a wrong version, and the visible test that must catch it): each
fails the visible test the student runs, with a message that says what is wrong. Each answer built on what the statement forbids
(np.cov, scikit-learn, autograd, a library convolution taken under another name) passes the
visible tests and fails the hidden ones. The notebooks' own cells run in this process, the
solution cells replaced by the answer tried.
"""
import functools
import json
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

import submissions
from notebook_cells import exercise_answers, points_earned, run_cells


MISTAKES = {}          # "assignment: mistake" -> (assignment, cell, answer, test cell)
for _path in sorted((Path(__file__).parent / "mistakes").glob("*.py")):
    for _name, (_cell, _answer, _test) in runpy.run_path(str(_path))["MISTAKES"].items():
        MISTAKES[f"{_path.stem}: {_name}"] = (_path.stem, _cell, _answer, _test)


ASSIGNMENTS = sorted(p.name for p in (Path(__file__).parents[1] / "solutions").iterdir() if p.is_dir())


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_an_untouched_exercise_earns_nothing(assignment):
    """Every graded cell, hidden tests included, fails on the exercise as released (its answer
    cells raise NotImplementedError): a test that passed would give points for nothing. The
    real grader grades untouched exercises too: pca's in the class (test_grading) and the
    digits CNN's at a fifth of a core (test_slowed); every solution's full marks, test_grading."""
    answers = exercise_answers(assignment)
    assert answers and all("raise NotImplementedError()" in code for code in answers.values())
    assert points_earned(assignment, answers) == {}


def test_the_untouched_check_counts_earned_points():
    """Its control: pca's solution earns every graded cell's points, and pca's exercise with one
    answer filled in earns that answer's test."""
    answers = exercise_answers("pca")
    assert sum(points_earned("pca", {}).values()) == submissions.FULL_MARKS
    assert list(points_earned("pca", {})) == submissions.TESTS
    solved = {grade_id: code for grade_id, code in answers.items() if grade_id != "pca-covariance"}
    assert list(points_earned("pca", solved)) == ["pca-covariance-test"]


@functools.lru_cache(maxsize=None)
def solution_passes(assignment, test):
    """Whether the solution passes this visible test (run once per worker, not per mistake)."""
    return run_cells(assignment, {}, test, hidden=False, other_tests=False) is None


@pytest.mark.parametrize("mistake", MISTAKES)
def test_the_visible_test_catches_a_common_mistake(mistake):
    assignment, cell, answer, test = MISTAKES[mistake]
    assert solution_passes(assignment, test), "the solution passes"
    error = run_cells(assignment, {cell: answer}, test, hidden=False, other_tests=False)
    assert isinstance(error, AssertionError), error
    assert str(error).strip(), "the visible test fails without saying what is wrong"


def test_every_exercise_lists_at_least_three_mistakes():
    listed = {}
    for assignment, *_ in MISTAKES.values():
        listed[assignment] = listed.get(assignment, 0) + 1
    exercises = {path.name for path in (Path(__file__).parents[1] / "solutions").iterdir()}
    assert {name for name in exercises if listed.get(name, 0) < 3} == set()


FORBIDDEN = {
    "a covariance from np.cov": ("pca", "pca-covariance", """
def covariance(X):
    return np.cov(np.asarray(X, dtype=float), rowvar=False)
""", "pca-covariance-test", "numpy.cov()"),
    "principal components from scikit-learn": ("pca", "pca-components", """
def principal_components(X, n_components):
    from sklearn.decomposition import PCA
    pca = PCA(n_components=n_components, svd_solver="full").fit(X)
    return pca.components_, pca.explained_variance_
""", "pca-components-test", "sklearn.check_array()"),
    "principal components from scikit-learn, imported up front": ("pca", "pca-components", """
from sklearn.decomposition import PCA

def principal_components(X, n_components):
    pca = PCA(n_components=n_components, svd_solver="full").fit(X)
    return pca.components_, pca.explained_variance_
""", "pca-components-test", "sklearn.check_array()"),
    "gradients from autograd": ("backprop", "bp-backward", """
def backward(x, y, W1, b1, W2, b2):
    leaves = [p.detach().clone().requires_grad_() for p in (W1, b1, W2, b2)]
    z1, a1, z2 = forward(x, *leaves)
    torch.nn.functional.cross_entropy(z2, y).backward()
    return [p.grad for p in leaves]
""", "bp-backward-test", "autograd"),
    "torch's softplus": ("gan", "gan-d-loss", """
def softplus(u):
    return torch.nn.functional.softplus(u)


def discriminator_loss(real_logits, fake_logits):
    return softplus(-real_logits).mean() + softplus(fake_logits).mean()
""", "gan-d-loss-test", "softplus"),
    "torch's cross-entropy from logits": ("gan", "gan-d-loss", """
from torch.nn.functional import binary_cross_entropy_with_logits as bce

def discriminator_loss(real_logits, fake_logits):
    return bce(real_logits, torch.ones_like(real_logits)) + bce(fake_logits, torch.zeros_like(fake_logits))
""", "gan-d-loss-test", "binary_cross_entropy_with_logits"),
    "torch's log-sigmoid for the generator": ("gan", "gan-g-loss", """
def generator_loss(fake_logits, kind="non-saturating"):
    if kind == "minimax":
        return torch.nn.functional.logsigmoid(-fake_logits).mean()
    if kind == "non-saturating":
        return -torch.nn.functional.logsigmoid(fake_logits).mean()
    raise ValueError(kind)
""", "gan-g-loss-test", "log_sigmoid"),
    "a library convolution under another name": ("conv2d", "conv-conv2d", """
from torch.nn.functional import conv2d as library_convolution

def conv2d(x, weight, bias=None, stride=1, padding=0):
    return library_convolution(x, weight, bias, stride, padding)
""", "conv-conv2d-test", "convolution"),
    "a library pooling as a module": ("conv2d", "conv-pool", """
def max_pool2d(x, kernel_size, stride=None):
    return torch.nn.MaxPool2d(kernel_size, stride)(x)
""", "conv-pool-test", "max_pool2d"),
    "the course's own ROC AUC": ("autoencoder", "ae-auc", """
from book.generative.autoencoder import roc_auc as course_roc_auc

def roc_auc(normal_scores, unusual_scores):
    return float(course_roc_auc(normal_scores, unusual_scores))
""", "ae-auc-test", "course's own"),
    "the course's own PCA": ("autoencoder", "ae-pca", """
from book.classical.pca import PCA

def pca_reconstruction_error(X_train, X_test, n_components):
    pca = PCA(n_components).fit(np.asarray(X_train, dtype=float))
    X_test = np.asarray(X_test, dtype=float)
    return float(((pca.inverse_transform(pca.transform(X_test)) - X_test) ** 2).sum(axis=1).mean())
""", "ae-pca-test", "course's own"),
    "the course's own FGSM": ("adversarial", "adv-fgsm", """
from book.interpret import adversarial as course

def fgsm(model, x, y, eps):
    return course.fgsm(model, x, y, eps)
""", "adv-fgsm-test", "course's own"),
    "the course's own saliency": ("dreaming", "dream-saliency", """
from book.interpret.dreaming import saliency as course_saliency

def saliency(model, x, y):
    return course_saliency(model, x, y)
""", "dream-saliency-test", "course's own"),
}


def fresh(assignment, answers, test, hidden):
    """``run_cells`` in a new interpreter, as the grader's fresh kernel: what the error said
    (None: the test passed)."""
    code = ("import json, sys; sys.path.insert(0, sys.argv[1]); from notebook_cells import run_cells; "
            "error = run_cells(*json.loads(sys.argv[2])); print(json.dumps(None if error is None else "
            "f'{type(error).__name__}: {error}'))")
    out = subprocess.run([sys.executable, "-c", code, str(Path(__file__).parent),
                          json.dumps([assignment, answers, test, hidden])],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


@pytest.mark.parametrize("shortcut", FORBIDDEN)
def test_the_hidden_tests_refuse_what_the_statement_forbids(shortcut):
    """The shortcut passes the visible test (run here) and fails the hidden one (in a fresh
    interpreter). That the solution passes the hidden tests, the grading session shows
    (test_grading: every solution gets full marks)."""
    assignment, cell, answer, test, word = FORBIDDEN[shortcut]
    assert run_cells(assignment, {cell: answer}, test, hidden=False) is None, "the shortcut is right"
    error = fresh(assignment, {cell: answer}, test, True)
    assert error is not None and word in error, error
