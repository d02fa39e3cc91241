"""The GAN arena's frame rate and training steps per second, against a plain training loop.

    python benchmarks/gan_arena.py [--steps 2000]

Same players and data for all rows (the ring of eight Gaussians, generator and discriminator
with two hidden layers of 32 ReLU units, batches of 64, Adam with beta1 = 0.5, one
discriminator step per generator step, the non-saturating loss):
- plain loop: two ``nn.Sequential`` networks, torch.optim.Adam and
  ``binary_cross_entropy_with_logits`` in a bare Python loop - no drawing, no event loop, no
  divergence checks (the baseline);
- gan.Game.step: the arena's engine (the course's ``GAN`` with a model axis of one, the
  course's Adam over flat parameters);
- the arena as shipped (redraws at most every ``redraw_seconds``) and unthrottled (a redraw
  after every step), driven headless: the figures are updated and serialized, nothing renders
  them.
Goal: >= 10 frames per second on a 2-core CPU with training near the engine's speed.
"""
import argparse
import time

import torch
from torch import nn
from torch.nn import functional as F

from book.generative import gan
from book.widgets import GANArena
from frame_rate import print_table, widget_rows, widget_run


def players(hidden=32):
    torch.manual_seed(0)
    return (nn.Sequential(nn.Linear(2, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                          nn.Linear(hidden, 2)),
            nn.Sequential(nn.Linear(2, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                          nn.Linear(hidden, 1)))


def plain_loop(steps, batch_size=64):
    G, D = players()
    g_opt = torch.optim.Adam(G.parameters(), lr=4e-3, betas=(0.5, 0.999))
    d_opt = torch.optim.Adam(D.parameters(), lr=4e-3, betas=(0.5, 0.999))
    generator = torch.Generator().manual_seed(0)
    start = time.perf_counter()
    for _ in range(steps):
        real = gan.sample_ring(batch_size, generator=generator)
        fake = G(torch.randn(batch_size, 2, generator=generator)).detach()
        d_real, d_fake = D(real), D(fake)
        d_loss = (F.binary_cross_entropy_with_logits(d_real, torch.ones_like(d_real))
                  + F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake)))
        d_opt.zero_grad()
        d_loss.backward()
        d_opt.step()
        logits = D(G(torch.randn(batch_size, 2, generator=generator)))
        g_loss = F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits))
        g_opt.zero_grad()
        g_loss.backward()
        g_opt.step()
    return time.perf_counter() - start


def engine(steps):
    game = gan.Game(gan.GAN(("non-saturating",), hidden_size=32))
    start = time.perf_counter()
    for _ in range(steps):
        game.step()
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=2000)
    args = parser.parse_args()
    n = args.steps
    plain_loop(20), engine(20), widget_run(GANArena, 20, 0.0)     # warm-up: imports, first allocations
    rows = [("plain loop (baseline)", plain_loop(n), None), ("gan.Game.step", engine(n), None),
            *widget_rows(GANArena, n, "arena")]
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; {n} generator steps\n")
    print_table(rows, n)

if __name__ == "__main__":
    main()
