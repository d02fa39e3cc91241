"""The playground's frame rate and time per training step, against a plain training loop.

    python benchmarks/playground.py [--steps 600]

Same network and data for all rows (moons, 2 hidden layers of 16 tanh units, Adam, full batch
of 210 points):
- plain loop: torch.optim.Adam and cross-entropy in a bare Python loop - no held-out loss, no
  drawing, no event loop (the baseline);
- Classifier2D.step: the playground's engine (adds the held-out loss);
- the playground widget as shipped (redraws at most every ``redraw_seconds``) and unthrottled (redraws after
  every step), driven headless: the figures are updated and serialized, nothing renders them.
Goal: >= 10 frames per second on a 2-core CPU with training at near the engine's speed.
"""
import argparse
import time

import torch
from torch.nn import functional as F

from book.nn import MLP
from book.nn.playground import Classifier2D
from book.widgets import Playground
from frame_rate import print_table, widget_rows, widget_run


def plain_loop(steps):
    run = Classifier2D(device=torch.device("cpu"))
    torch.manual_seed(0)
    model = MLP(2, 16, 2, 2, "tanh")
    optimizer = torch.optim.Adam(model.parameters(), lr=0.03)
    start = time.perf_counter()
    for _ in range(steps):
        optimizer.zero_grad()
        F.cross_entropy(model(run.X_train), run.y_train).backward()
        optimizer.step()
    return time.perf_counter() - start


def engine(steps):
    run = Classifier2D(device=torch.device("cpu"))
    start = time.perf_counter()
    for _ in range(steps):
        run.step()
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=4000)
    args = parser.parse_args()
    n = args.steps
    plain_loop(20), engine(20), widget_run(Playground, 20, 0.0)   # warm-up
    rows = [("plain loop (baseline)", plain_loop(n), None), ("Classifier2D.step", engine(n), None),
            *widget_rows(Playground, n, "widget")]
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; {n} steps\n")
    print_table(rows, n)

if __name__ == "__main__":
    main()
