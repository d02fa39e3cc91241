"""torch's CPU threads for the course's small networks: one thread against two, with idle OpenMP
workers spinning (the default) or sleeping (OMP_WAIT_POLICY=PASSIVE), on a quiet machine and
with one core kept busy by another program.

    python benchmarks/threads.py            # about two minutes on a 2-core CPU

Workloads (each in a fresh process, so that the OpenMP setting takes effect): 60 steps of the
gated chapter's race (four recurrent networks of about 2000 weights, T = 40, batch 64), 2000
environment steps of the approximation chapter's DQN (two agents in lockstep), 300 steps of
the playground's classifier (a dense network on moons). Each time is the best of two runs. The baseline is
the course's setting (``book.device.CPU_THREADS`` = 1) in the same condition.
"""
import itertools
import os
import subprocess
import sys
import time

WORK = r"""
import sys, time
import torch
threads = int(sys.argv[1])
from book import device                      # sets the course's default; the run overrides it
torch.set_num_threads(threads)
from book.rnn.train import race
from book.rl import dqn
from book.nn.playground import Classifier2D

def gated():
    trainers = race("adding", 40, budget=2000, learning_rate=0.03, seed=0)
    for _ in range(60):
        for trainer in trainers.values():
            trainer.step()

def deep_q():
    agent = dqn.DQN(4, 2, n_agents=2, seed=0, device="cpu")
    dqn.train_dqn(agent, 2000)

def playground():
    Classifier2D(dataset="moons", depth=2, width=32, device="cpu").train(300)

for name, work in (("gated race", gated), ("DQN", deep_q), ("playground", playground)):
    times = []
    for _ in range(2):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    print(name, min(times), flush=True)
"""


def measure(threads, passive, busy):
    env = dict(os.environ)
    env.pop("OMP_WAIT_POLICY", None)
    if passive:
        env["OMP_WAIT_POLICY"] = "PASSIVE"
    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if busy else None
    try:
        time.sleep(0.2 if busy else 0)
        out = subprocess.run([sys.executable, "-c", WORK, str(threads)], env=env, text=True,
                             capture_output=True, check=True).stdout
    finally:
        if hog:
            hog.kill()
    return {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1]) for line in out.splitlines()}


def main():
    print(f"{os.cpu_count()} CPUs; times in seconds, best of two; ratio: time / the course's "
          f"setting (1 thread) in the same condition\n")
    rows = {}
    for busy, passive, threads in itertools.product((False, True), (False, True), (1, 2)):
        rows[busy, passive, threads] = measure(threads, passive, busy)
    names = list(next(iter(rows.values())))
    print(f"{'condition':<18}{'OMP_WAIT_POLICY':<17}{'threads':>8}"
          + "".join(f"{name:>22}" for name in names))
    for (busy, passive, threads), times in rows.items():
        base = rows[busy, passive, 1]
        cells = "".join(f"{times[n]:>12.2f} ({times[n] / base[n]:4.2f}x)" for n in names)
        print(f"{'one core busy' if busy else 'quiet':<18}{'PASSIVE' if passive else 'default':<17}"
              f"{threads:>8}{cells}")


if __name__ == "__main__":
    main()
