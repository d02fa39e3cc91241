"""Common mistakes in the conv2d exercise, each caught by a visible test."""

_CONV = """
def conv2d(x, weight, bias=None, stride=1, padding=0):
    n, c, height, width = x.shape
    k = weight.shape[-1]
    if padding:
        padded = x.new_zeros(n, c, height + 2 * padding, width + 2 * padding)
        PAD
        x = padded
    h_out = (x.shape[2] - k) // stride + 1
    w_out = (x.shape[3] - k) // stride + 1
    out = x.new_zeros(n, weight.shape[0], h_out, w_out)
    for p in range(k):
        for q in range(k):
            patch = x[:, :, p:p + stride * (h_out - 1) + 1:stride, q:q + stride * (w_out - 1) + 1:stride]
            out = out + torch.einsum("nchw,oc->nohw", patch, KERNEL)
    return out if bias is None else BIAS
"""
_RIGHT = {"PAD": "padded[..., padding:padding + height, padding:padding + width] = x",
          "KERNEL": "weight[:, :, p, q]", "BIAS": "out + bias[:, None, None]"}


def _conv(**changes):
    source = _CONV
    for key, value in {**_RIGHT, **changes}.items():
        source = source.replace(key, value)
    return source


MISTAKES = {
    'a flipped kernel (the textbook convolution, not the cross-correlation of CNNs)':
        ('conv-conv2d', _conv(KERNEL="weight[:, :, k - 1 - p, k - 1 - q]"), 'conv-conv2d-test'),
    'a bias added along the last axis instead of per output channel':
        ('conv-conv2d', _conv(BIAS="out + bias"), 'conv-conv2d-test'),
    'zeros padded on the bottom and right only':
        ('conv-conv2d', _conv(PAD="padded[..., :height, :width] = x"), 'conv-conv2d-test'),
    'the padding ignored': ('conv-conv2d', """
def conv2d(x, weight, bias=None, stride=1, padding=0):
    n, c, height, width = x.shape
    k = weight.shape[-1]
    h_out = (height - k) // stride + 1
    w_out = (width - k) // stride + 1
    out = x.new_zeros(n, weight.shape[0], h_out, w_out)
    for p in range(k):
        for q in range(k):
            patch = x[:, :, p:p + stride * (h_out - 1) + 1:stride, q:q + stride * (w_out - 1) + 1:stride]
            out = out + torch.einsum("nchw,oc->nohw", patch, weight[:, :, p, q])
    return out if bias is None else out + bias[:, None, None]
""", 'conv-conv2d-test'),
    'a float32 output buffer for float64 inputs': ('conv-conv2d', """
def conv2d(x, weight, bias=None, stride=1, padding=0):
    n, c, height, width = x.shape
    k = weight.shape[-1]
    if padding:
        padded = x.new_zeros(n, c, height + 2 * padding, width + 2 * padding)
        padded[..., padding:padding + height, padding:padding + width] = x
        x = padded
    h_out = (x.shape[2] - k) // stride + 1
    w_out = (x.shape[3] - k) // stride + 1
    out = torch.zeros(n, weight.shape[0], h_out, w_out)
    for p in range(k):
        for q in range(k):
            patch = x[:, :, p:p + stride * (h_out - 1) + 1:stride, q:q + stride * (w_out - 1) + 1:stride]
            out += torch.einsum("nchw,oc->nohw", patch, weight[:, :, p, q])
    return out if bias is None else out + bias[:, None, None]
""", 'conv-conv2d-test'),
    'a pooling whose default stride is 1, not the kernel size': ('conv-pool', """
def max_pool2d(x, kernel_size, stride=None):
    stride = stride or 1
    h_out = (x.shape[2] - kernel_size) // stride + 1
    w_out = (x.shape[3] - kernel_size) // stride + 1
    best = None
    for p in range(kernel_size):
        for q in range(kernel_size):
            patch = x[:, :, p:p + stride * (h_out - 1) + 1:stride, q:q + stride * (w_out - 1) + 1:stride]
            best = patch if best is None else torch.maximum(best, patch)
    return best
""", 'conv-pool-test'),
    'a running maximum that starts from zero': ('conv-pool', """
def max_pool2d(x, kernel_size, stride=None):
    stride = stride or kernel_size
    h_out = (x.shape[2] - kernel_size) // stride + 1
    w_out = (x.shape[3] - kernel_size) // stride + 1
    best = x.new_zeros(x.shape[0], x.shape[1], h_out, w_out)
    for p in range(kernel_size):
        for q in range(kernel_size):
            patch = x[:, :, p:p + stride * (h_out - 1) + 1:stride, q:q + stride * (w_out - 1) + 1:stride]
            best = torch.maximum(best, patch)
    return best
""", 'conv-pool-test'),
    'a pooling that ignores the stride argument': ('conv-pool', """
def max_pool2d(x, kernel_size, stride=None):
    stride = kernel_size
    h_out = (x.shape[2] - kernel_size) // stride + 1
    w_out = (x.shape[3] - kernel_size) // stride + 1
    best = None
    for p in range(kernel_size):
        for q in range(kernel_size):
            patch = x[:, :, p:p + stride * (h_out - 1) + 1:stride, q:q + stride * (w_out - 1) + 1:stride]
            best = patch if best is None else torch.maximum(best, patch)
    return best
""", 'conv-pool-test'),
}
