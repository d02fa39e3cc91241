"""The playground's frame rate and time per training step, against a plain training loop.

    python benchmarks/playground.py [--steps 600]

Same network and data for all rows (moons, 2 hidden layers of 16 tanh units, Adam, full batch
of 210 points):
- plain loop: torch.optim.Adam and cross-entropy in a bare Python loop - no held-out loss, no
  drawing, no event loop (the baseline);
- Classifier2D.step: the playground's engine (adds the held-out loss);
- the playground widget as shipped (redraws at most every 80 ms) and unthrottled (redraws after
  every step), driven headless: the figures are updated and serialized, nothing renders them.
Goal: >= 10 frames per second on a 2-core CPU with training at near the engine's speed.
"""
import argparse
import asyncio
import time

import torch
from torch.nn import functional as F

from book.nn import MLP
from book.nn.playground import Classifier2D
from book.widgets import Playground


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


def widget(steps, redraw_seconds):
    playground = Playground(steps=steps)
    playground.redraw_seconds = redraw_seconds

    async def go():
        start = time.perf_counter()
        await playground.train()
        return time.perf_counter() - start
    seconds = asyncio.run(go())
    return seconds, playground.frames


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=4000)
    args = parser.parse_args()
    n = args.steps
    plain_loop(20), engine(20), widget(20, 0.0)                 # warm-up
    baseline = plain_loop(n)
    rows = [("plain loop (baseline)", baseline, None), ("Classifier2D.step", engine(n), None)]
    for name, redraw in (("widget as shipped (80 ms throttle)", Playground.redraw_seconds),
                         ("widget, redraw every step", 0.0)):
        seconds, frames = widget(n, redraw)
        rows.append((name, seconds, frames))
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; {n} steps\n")
    print(f"{'':<34}{'ms/step':>9}{'vs plain':>10}{'frames/s':>10}")
    for name, seconds, frames in rows:
        fps = f"{frames / seconds:10.1f}" if frames else f"{'':>10}"
        print(f"{name:<34}{1000 * seconds / n:9.2f}{seconds / baseline:9.2f}x{fps}")


if __name__ == "__main__":
    main()
