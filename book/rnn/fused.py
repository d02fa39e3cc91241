"""The compiled step-by-step loops of ``fused.cpp``, for one model on the CPU.

``book.rnn.bptt`` writes every loop in PyTorch. On the CPU the same loops also exist in C++,
where a step is one matrix product plus one pass over memory for its element-wise work,
instead of a dozen tensor operations that each cost a few microseconds to launch; the
sequences of the batch are shared out between the CPU's threads. That makes a training step
three to five times faster (``benchmarks/rnn_step.py``).

The loops are compiled once per machine on first use (about 15 s; ``./course build`` does it
up front) with the C++ compiler that Linux and macOS have next to Python's headers, and
cached in ~/.cache/torch_extensions. Without a compiler, ``ops()`` warns once and returns
None, and the PyTorch loops run: the same numbers, slower.

Set the environment variable ``BOOK_RNN_COMPILED=0`` (or ``fused.ENABLED = False``) to use
the PyTorch loops on purpose.
"""
import functools
import hashlib
import os
import pathlib
import platform
import shutil
import sys
import warnings

import torch

SOURCE = pathlib.Path(__file__).with_name("fused.cpp")
ENABLED = os.environ.get("BOOK_RNN_COMPILED", "1") != "0"


def _cpu_signature():
    """A short name for this kind of CPU: the build is tuned to it (-march=native), so a home
    directory shared by different machines must keep one build per kind."""
    try:
        flags = next(line for line in open("/proc/cpuinfo") if line.startswith("flags"))
    except (OSError, StopIteration):
        flags = platform.processor() or platform.machine()
    return hashlib.sha256(flags.encode()).hexdigest()[:10]


def _build_name():
    """The build's name: the kind of CPU, and the source file's path and content, so that two
    checkouts (a branch, a work tree, a copy) never rebuild over each other's library: the
    build records the source's path, and a build from another path starts over."""
    source = hashlib.sha256(str(SOURCE.resolve()).encode() + SOURCE.read_bytes()).hexdigest()[:10]
    return f"book_rnn_fused_{_cpu_signature()}_{source}"


def _load(verbose=False):
    from torch.utils import cpp_extension
    flags = ["-O3", "-march=native", "-ffast-math",     # -ffast-math: vectorized exp and tanh
             "-mprefer-vector-width=512", "-fopenmp"]
    link = ["-fopenmp"] + {"linux": ["-lmvec"],                 # glibc's vector math
                           "darwin": ["-undefined", "dynamic_lookup"]}.get(sys.platform, [])
    # torch runs ninja by name. The ninja that pip puts beside Python comes first: another
    # ninja (Debian's) reads the build's log differently and compiled everything again
    # (12 s) whenever the two took turns, e.g. a kernel started with and one without
    # the environment's folder on its PATH.
    scripts = str(pathlib.Path(sys.executable).parent)
    path = os.environ.get("PATH", "")
    if os.path.exists(os.path.join(scripts, "ninja")) or shutil.which("ninja") is None:
        os.environ["PATH"] = os.pathsep.join([scripts, path])
    try:
        cpp_extension.load(name=_build_name(), sources=[str(SOURCE)],
                           extra_cflags=flags, extra_ldflags=link, is_python_module=False,
                           verbose=verbose)
    finally:
        os.environ["PATH"] = path
    return torch.ops.book_rnn


@functools.cache
def ops():
    """torch.ops.book_rnn, compiled and loaded on the first call; None when it cannot be."""
    try:
        return _load()
    except Exception as error:                    # no compiler, no headers, no ninja ...
        first_line = (str(error).strip().splitlines() or [type(error).__name__])[0][:200]
        warnings.warn(f"book.rnn: the compiled loops could not be built ({first_line}); running "
                      "the PyTorch loops instead (same results, slower). To see the compiler's "
                      "messages: python -c 'import book.rnn.fused as f; f.build()'", stacklevel=2)
        return None


def build():
    """Compile the loops now (or find them built), showing the compiler's messages.
    ``./course build`` calls this, so that no page waits for the compiler."""
    _load(verbose=True)
    ops.cache_clear()
    print("book.rnn: compiled loops ready")


def usable(weight):
    """Whether the compiled loops apply to a model with this recurrent weight: one model
    (a 2-D weight), on the CPU, in float32 or float64, with a compiler at hand."""
    return (ENABLED and weight.dim() == 2 and weight.device.type == "cpu"
            and weight.dtype in (torch.float32, torch.float64) and ops() is not None)
