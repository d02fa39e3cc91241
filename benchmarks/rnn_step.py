"""Milliseconds per training step of recurrent models, against baselines in the same run.

    python benchmarks/rnn_step.py [--hidden 64 256] [--repeats 30]

A training step = forward over a batch of 32 sequences of length 100 (input size 1), a
squared loss on the last state's readout, backward, and an SGD update. Compared:
- the course's tanh RNN, GRU and LSTM (``book.rnn``: written-out BPTT, recording ||dL/dh_t||),
  with its compiled loops (``book/rnn/fused.cpp``, on the CPU) and with its PyTorch loops,
- torch.nn.RNN / GRU / LSTM,
- a plain per-step Python loop over torch.nn.RNNCell / GRUCell / LSTMCell with autograd that
  reads ||dL/dh_t|| off retained gradients (the textbook way).
Also: the gradient-flow explorer's first plot update after Train, and, with CUDA, a K = 64
batched sweep against one model. Goals (2-core CPU): tanh RNN and GRU <= 4 ms at hidden 64
(>= 4x the plain loop), LSTM no slower than torch.nn.LSTM, first update <= 200 ms.
"""
import argparse
import asyncio
import statistics
import time

import torch

from book.rnn import SequenceModel, fused

T, BATCH, INPUT = 100, 32, 1
TORCH_LAYERS = {"rnn": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}
TORCH_CELLS = {"rnn": torch.nn.RNNCell, "gru": torch.nn.GRUCell, "lstm": torch.nn.LSTMCell}


def timed(step, repeats):
    """Median milliseconds per call (the machine's noise is one-sided: other work only adds)."""
    for _ in range(3):
        step()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def course_step(kind, hidden, device, compiled=True):
    model = SequenceModel(kind, INPUT, hidden, 1).to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3)
    x, y = torch.randn(T, BATCH, INPUT, device=device), torch.randn(BATCH, 1, device=device)

    def step():
        record = []
        enabled, fused.ENABLED = fused.ENABLED, compiled
        try:
            optimizer.zero_grad()
            ((model(x, record=record) - y) ** 2).mean().backward()
            optimizer.step()
        finally:
            fused.ENABLED = enabled
        record[0].sum().item()                  # the norms are really there
    return step


def readout_problem(module, hidden, device):
    """A linear readout, SGD over the module and the readout, and one random batch (x, y)."""
    readout = torch.nn.Linear(hidden, 1).to(device)
    optimizer = torch.optim.SGD([*module.parameters(), *readout.parameters()], lr=1e-3)
    return readout, optimizer, torch.randn(T, BATCH, INPUT, device=device), torch.randn(BATCH, 1, device=device)


def torch_step(kind, hidden, device):
    layer = TORCH_LAYERS[kind](INPUT, hidden).to(device)
    readout, optimizer, x, y = readout_problem(layer, hidden, device)

    def step():
        optimizer.zero_grad()
        out, _ = layer(x)
        ((readout(out[-1]) - y) ** 2).mean().backward()
        optimizer.step()
        if device.type == "cuda":
            torch.cuda.synchronize()
    return step


def plain_loop_step(kind, hidden, device):
    cell = TORCH_CELLS[kind](INPUT, hidden).to(device)
    readout, optimizer, x, y = readout_problem(cell, hidden, device)

    def step():
        optimizer.zero_grad()
        h = torch.zeros(BATCH, hidden, device=device)
        states = []
        state = (h, h) if kind == "lstm" else h
        for x_t in x:
            state = cell(x_t, state)
            h = state[0] if kind == "lstm" else state
            h.retain_grad()
            states.append(h)
        ((readout(h) - y) ** 2).mean().backward()
        torch.stack([s.grad.norm() for s in states]).sum().item()
        optimizer.step()
    return step


def first_plot_update():
    from book.widgets import GradientFlowExplorer

    async def go():
        explorer = GradientFlowExplorer(steps=5)
        start = time.perf_counter()
        task = explorer.train()
        while explorer.first_draw_seconds is None and not task.done():
            await asyncio.sleep(0)
        seconds = time.perf_counter() - start
        await task
        return seconds * 1000
    asyncio.run(go())                             # warm-up: imports, first allocations
    return asyncio.run(go())


def sweep_ratio(device, repeats):
    from book.rnn.train import Trainer
    one = Trainer("rnn", "adding", T, 64, 0.01, gains=(1.0,), device=device)
    many = Trainer("rnn", "adding", T, 64, 0.01, gains=tuple(torch.linspace(0.5, 2, 64).tolist()),
                   device=device)

    def sync(trainer):
        def step():
            trainer.step()
            if device.type == "cuda":
                torch.cuda.synchronize()
        return step
    return timed(sync(one), repeats), timed(sync(many), repeats)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--hidden", type=int, nargs="+", default=[64, 256])
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    devices = [torch.device("cpu")] + ([torch.device("cuda")] if torch.cuda.is_available() else [])
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; batch {BATCH}, "
          f"length {T}, input {INPUT}; the course's models record ||dL/dh_t|| at every step")
    if fused.ops() is None:
        print("(no C++ compiler: the 'compiled loops' rows run the PyTorch loops)")
    for device in devices:
        for hidden in args.hidden:
            print(f"\n{device.type}, hidden {hidden}: ms per training step")
            print(f"{'model':<36}{'ms':>8}{'vs plain loop':>15}{'vs torch.nn':>13}")
            for kind in ("rnn", "gru", "lstm"):
                name = {"rnn": "RNN", "gru": "GRU", "lstm": "LSTM"}[kind]
                plain = timed(plain_loop_step(kind, hidden, device), args.repeats)
                reference = timed(torch_step(kind, hidden, device), args.repeats)
                ours = timed(course_step(kind, hidden, device), args.repeats)
                ours_pytorch = (timed(course_step(kind, hidden, device, compiled=False), args.repeats)
                                if device.type == "cpu" else None)
                print(f"{'plain loop over nn.' + name + 'Cell':<36}{plain:8.2f}{1.0:14.2f}x"
                      f"{reference / plain:12.2f}x")
                print(f"{'torch.nn.' + name:<36}{reference:8.2f}{plain / reference:14.2f}x{1.0:12.2f}x")
                rows = ([("", ours)] if device.type == "cuda" else     # compiled: CPU only
                        [(", PyTorch loops", ours_pytorch), (", compiled loops", ours)])
                for label, ms in rows:
                    print(f"{'course ' + kind + label:<36}{ms:8.2f}"
                          f"{plain / ms:14.2f}x{reference / ms:12.2f}x")
        if device.type == "cuda":
            one, many = sweep_ratio(device, args.repeats)
            print(f"\ncuda sweep: one model {one:.2f} ms/step, 64 models batched {many:.2f} "
                  f"ms/step: {many / one:.2f}x (goal <= 2x)")
    print(f"\ngradient-flow explorer, first plot update after Train (cpu): {first_plot_update():.0f} ms "
          f"(goal <= 200 ms)")


if __name__ == "__main__":
    main()
