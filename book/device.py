"""One place that decides where tensors live, and on how many CPU threads.

Order of preference: CUDA, then Apple's MPS, then the CPU. Set ``COURSE_DEVICE``
(for example ``COURSE_DEVICE=cpu``) to override the choice.

Every process that imports the course's torch code runs torch on ``CPU_THREADS`` CPU threads
(``COURSE_CPU_THREADS``, default 1). The course's networks are small (hundreds to a few
hundred thousand weights): a second thread gains less than the threads lose waiting for each
other, and when another program keeps a core busy they wait far longer (``benchmarks/threads.py``
on 2 cores: two threads 1.05 to 4.2 times slower than one). Pages, widgets and their static
runs alike.
"""
import os

import torch

from .threads import CPU_THREADS

torch.set_num_threads(CPU_THREADS)


def get_device(prefer=None):
    """Return the ``torch.device`` the course trains on."""
    choice = prefer or os.environ.get("COURSE_DEVICE", "").strip().lower()
    if choice:
        if choice.startswith("cuda") and not torch.cuda.is_available():
            raise RuntimeError(f"COURSE_DEVICE={choice!r} but torch sees no CUDA device")
        return torch.device(choice)
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def describe(device=None):
    """A short line naming the device, for pages and widget status lines."""
    device = torch.device(device) if device is not None else get_device()
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    if device.type == "mps":
        return "mps (Apple GPU)"
    return "cpu"
