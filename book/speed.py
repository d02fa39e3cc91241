"""The reference step: the unit in which the course states its time budgets, so they hold on any machine.

Machines differ several times over in speed, so a budget in seconds chosen on one of them fails on
another. The course states budgets in reference steps instead, timed on the machine at hand, in
the same run as what they bound: one SGD training step of a plain autograd tanh RNN (batch 32,
100 time steps, 64 hidden units, a Python loop over time) on one CPU thread. It took 9.6 ms on a
fast 2-core machine and 28.6 ms on the slowest machine the course's CI runs on.

    python -m book.speed        # prints this machine's reference step
"""
import statistics
import time

# torch is imported where a step is built and timed, not with this module: the processes that
# only read SLOW_STEP (nbgrader's commands, through the course's limits) start 1.3 s sooner.

BATCH, LENGTH, HIDDEN, INPUTS = 32, 100, 64, 2
FAST_STEP = 0.0096          # seconds per reference step on a fast machine of CI's kind
SLOW_STEP = 0.0286          # ... and on the slowest one


def _reference_model():
    """Weights, inputs and a target for the reference step, the same on every machine."""
    import torch
    g = torch.Generator().manual_seed(0)
    scale = HIDDEN ** -0.5
    weights = [(torch.rand(*shape, generator=g) * 2 - 1) * scale
               for shape in ((HIDDEN, INPUTS), (HIDDEN, HIDDEN), (HIDDEN,), (1, HIDDEN), (1,))]
    for w in weights:
        w.requires_grad_(True)
    x = torch.rand(LENGTH, BATCH, INPUTS, generator=g)
    y = torch.rand(BATCH, 1, generator=g)
    return weights, x, y


def _step(weights, x, y, lr=0.01):
    import torch
    w_ih, w_hh, b, w_out, b_out = weights
    h = torch.zeros(BATCH, HIDDEN)
    for x_t in x:                                   # the Python loop over time
        h = torch.tanh(x_t @ w_ih.T + h @ w_hh.T + b)
    loss = ((h @ w_out.T + b_out - y) ** 2).mean()
    loss.backward()
    with torch.no_grad():
        for w in weights:
            w -= lr * w.grad
            w.grad = None


def reference_step(repeats=15, warmup=3):
    """Seconds one reference step takes on this machine now: the median of ``repeats`` timed
    steps after ``warmup`` untimed ones, on one torch thread (the setting is restored)."""
    import torch
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        weights, x, y = _reference_model()
        times = []
        for i in range(warmup + repeats):
            start = time.perf_counter()
            _step(weights, x, y)
            if i >= warmup:
                times.append(time.perf_counter() - start)
        return statistics.median(times)
    finally:
        torch.set_num_threads(threads)


def describe(seconds):
    return (f"reference step: {1000 * seconds:.1f} ms (one SGD step of a plain autograd tanh RNN, "
            f"B={BATCH}, T={LENGTH}, H={HIDDEN}, one thread; {1000 * SLOW_STEP:.1f} ms on CI's slowest machine)")


if __name__ == "__main__":
    print(describe(reference_step(repeats=60, warmup=5)))   # half a second: steadier than the default
