"""One place that decides where tensors live.

Order of preference: CUDA, then Apple's MPS, then the CPU. Set ``COURSE_DEVICE``
(for example ``COURSE_DEVICE=cpu``) to override the choice.
"""
import os

import torch


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
