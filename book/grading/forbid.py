"""What a from-scratch exercise may not call, enforced while a hidden test runs the student's
code: "write a convolution", "do not call np.cov", "backpropagate by hand".

    from book.grading.forbid import forbidden
    with forbidden(torch_ops=("convolution", "im2col"), why="write your own convolution"):
        answer = conv2d(x, w)

Switching a library function off by rebinding its name misses a reference the student took
earlier (``from torch import conv2d``) and every other route to the same computation
(``nn.Conv2d``, ``torch.ops.aten.convolution``). So the checks sit where every route passes:

- torch: a dispatch mode sees each ATen operator that runs, however it was called, and the
  operators autograd runs in a backward pass (``tanh_backward``, ``nll_loss_backward``, ...);
- autograd: a saved-tensors hook sees every graph that records tensors for a backward pass;
- Python functions (``np.cov``): their code objects are swapped, so every reference to them
  refuses;
- whole packages (``packages=("sklearn",)``): where the notebook imported the package, the
  function every route through it passes (scikit-learn's ``check_array``, which every
  estimator's ``fit`` calls) is swapped; a module of the package imported while the block
  runs (``from sklearn.decomposition import PCA`` inside the student's function) refuses too.
  The test itself never imports the package, so a notebook that does not use it is graded
  without loading it.

Each refusal raises ``ForbiddenCall`` with ``why`` at the call, and is remembered, so a
student's ``try``/``except`` around it still fails the test when the block ends.
"""
import contextlib
import sys

# for a forbidden package: the module and function every route through it calls
ENTRY_POINTS = {"sklearn": ("sklearn.utils.validation", "check_array")}
NAMES = {"sklearn": "scikit-learn"}


class ForbiddenCall(AssertionError):
    """The student's code used what the exercise asks them to write."""


_swapped_calls = []    # refusals of swapped functions, in whatever module they ran


def _refuse(*args, **kwargs):
    # runs as the swapped function's code, with its module's globals: only builtins are in reach
    forbid = __import__("book.grading.forbid", fromlist=["ForbiddenCall"])
    forbid._swapped_calls.append(1)
    raise forbid.ForbiddenCall("a function this exercise asks you to write yourself was called")


def _implementation(function):
    """The Python function behind a function (numpy wraps most of its own in a dispatcher)."""
    return getattr(function, "_implementation", function)


def _modules_of(packages):
    return {name for name in list(sys.modules)
            if any(name == p or name.startswith(p + ".") for p in packages)}


@contextlib.contextmanager
def forbidden(torch_ops=(), functions=(), autograd=False, packages=(), why=""):
    refused = []

    def refuse(what):
        message = f"{why} ({what} is not allowed here)" if why else f"{what} is not allowed here"
        refused.append(message)
        raise ForbiddenCall(message)

    loaded = _modules_of(packages)
    functions = list(functions)
    for package in packages:
        module, name = ENTRY_POINTS.get(package, (None, None))
        if module in sys.modules:
            functions.append(getattr(sys.modules[module], name))
    swapped = []
    names = " or ".join(f"{f.__module__.split('.')[0]}.{f.__name__}()" for f in functions)
    _swapped_calls.clear()
    for function in functions:
        inner = _implementation(function)
        swapped.append((inner, inner.__code__))
        inner.__code__ = _refuse.__code__
    with contextlib.ExitStack() as stack:
        if torch_ops or autograd:
            stack.enter_context(_torch_watch(set(torch_ops), autograd, refuse))
        try:
            yield
        except ForbiddenCall:
            pass                             # said below, with the reason
        finally:
            for inner, code in swapped:
                inner.__code__ = code
    if _swapped_calls and not refused:
        refused.append(f"{why} ({names} is not allowed here)" if why else
                       f"{names} is not allowed here")
    imported = sorted(_modules_of(packages) - loaded)
    if imported and not refused:
        package = imported[0].split(".")[0]
        what = f"{NAMES.get(package, package)} ({imported[0]}, imported while the test ran)"
        refused.append(f"{why} ({what} is not allowed here)" if why else f"{what} is not allowed here")
    if refused:
        raise ForbiddenCall(refused[0])


@contextlib.contextmanager
def _torch_watch(ops, autograd, refuse):
    import torch
    from torch.utils._python_dispatch import TorchDispatchMode

    class Watch(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            name = func.overloadpacket.__name__
            if name in ops:
                refuse(f"torch's {name}")
            if autograd and "backward" in name:
                refuse(f"autograd ({name})")
            return func(*args, **(kwargs or {}))

    def pack(tensor):
        refuse("autograd (a graph recorded for .backward())")

    with contextlib.ExitStack() as stack:
        stack.enter_context(Watch())
        if autograd:
            stack.enter_context(torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t))
        yield
