"""Convolution and max pooling written out, with torch.nn.functional's conventions.

Both slide a window over the image. Gathering every window once turns them into plain tensor
algebra: a convolution is then one contraction of the windows with the kernels, and max pooling
one maximum over each window. (Like torch, "convolution" here is cross-correlation: the kernel
is not flipped.)

    out[n, o, i, j] = b[o] + sum_{c, k, l} w[o, c, k, l] * x[n, c, i*s + k, j*s + l]
    pool[n, c, i, j] = max_{k, l} x[n, c, i*s + k, j*s + l]
"""
import torch


def windows(x, size, stride):
    """All (size x size) windows of x (N, C, H, W): shape (N, C, size, size, H_out, W_out)."""
    height, width = x.shape[-2:]
    h_out, w_out = (height - size) // stride + 1, (width - size) // stride + 1
    rows = []
    for k in range(size):
        rows.append(torch.stack([x[..., k:k + stride * (h_out - 1) + 1:stride,
                                    l:l + stride * (w_out - 1) + 1:stride]
                                 for l in range(size)], dim=2))
    return torch.stack(rows, dim=2)


def pad(x, padding, value=0.0):
    """x with ``padding`` rows and columns of ``value`` added on every side."""
    if not padding:
        return x
    n, c, height, width = x.shape
    out = x.new_full((n, c, height + 2 * padding, width + 2 * padding), value)
    out[..., padding:padding + height, padding:padding + width] = x
    return out


def conv2d(x, weight, bias=None, stride=1, padding=0):
    """(N, C_in, H, W) with kernels (C_out, C_in, k, k) -> (N, C_out, H_out, W_out)."""
    patches = windows(pad(x, padding), weight.shape[-1], stride)
    out = torch.einsum("nckliw,ockl->noiw", patches, weight)
    return out if bias is None else out + bias[:, None, None]


def max_pool2d(x, kernel_size, stride=None):
    """Largest value in each (kernel_size x kernel_size) window; stride defaults to the size."""
    patches = windows(x, kernel_size, stride or kernel_size)
    return patches.flatten(2, 3).amax(dim=2)
