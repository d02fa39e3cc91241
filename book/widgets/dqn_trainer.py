"""The DQN trainer: deep Q-networks with and without their two ingredients, learning CartPole
side by side (``book.rl.dqn``; chapter "Value-function approximation").

Left: the variants to train (DQN, no target network, no replay, neither), the target network's
period C (updates between copies), the replay buffer's size, the learning rate, hidden units,
environment steps, seed. Right: the return of the episodes of each variant (mean of its last
10, at the step each ended), with the random policy's mean return and the maximum (500) as
reference lines; the size of each variant's values, the mean of max_a' Q(s', a') over each
batch, on a log scale, with 1 / (1 - gamma) = 100, above which no return can be; below, the
cart of the first variant, drawn from its state as it plays. All variants train at once,
each with its own network, buffer and cart (one matrix product serves them all); one training
step is STEPS_PER_STEP environment steps of every variant. The variants share the seed: they
start from the same weights and their carts from the same states.
"""
import ipywidgets as widgets
import numpy as np
import torch

from ..plots import PALETTE
from ..rl import dqn
from .cartpole_trainer import cart_figure, cart_shapes, random_return
from .training import (Growing, Refused, TrainingWidget, check_range, figure, number, set_curve)

VARIANTS = ("DQN", "no target network", "no replay", "neither")
STEPS_PER_STEP = 8         # environment steps per training step (2 gradient steps)
GAMMA = 0.99
BATCH = 32
MOST = 500.0               # CartPole-v1 ends an episode after 500 steps


class DQNTrainer(TrainingWidget):
    HEAVIEST = (dict(variants=VARIANTS, hidden_size=256, buffer=100_000, steps=100_000),)

    def __init__(self, variants=("DQN", "no target network"), period=50, buffer=10_000,
                 learning_rate=2e-3, hidden_size=32, steps=6000, seed=0):
        self.variants = widgets.SelectMultiple(options=VARIANTS, value=tuple(variants), rows=4,
                                               description="variants",
                                               style={"description_width": "110px"})
        self.period = number(int(period), "target period C")
        self.buffer = number(int(buffer), "replay buffer")
        self.learning_rate = number(float(learning_rate), "learning rate")
        self.hidden_size = number(int(hidden_size), "hidden units")
        self.steps = number(int(steps), "env. steps")
        self.seed = number(int(seed), "seed")
        self.returns_figure = figure("return per episode (running mean of 10)",
                                     "environment step", "return", height=260, width=600)
        self.returns_figure.update_yaxes(range=[0, 520])
        self.values_figure = figure("the size of the values: mean max_a' Q(s', a') per batch",
                                    "gradient step", "value estimate", height=260, width=600,
                                    log_y=True)
        self.cart = cart_figure("the first variant, playing now", width=600)
        super().__init__([self.variants, self.period, self.buffer, self.learning_rate,
                          self.hidden_size, self.steps, self.seed],
                         [self.returns_figure, self.values_figure, self.cart])

    def settings(self):
        if not self.variants.value:
            raise Refused("no variant chosen: pick at least one")
        return dict(variants=tuple(self.variants.value),
                    period=check_range("target period C", self.period.value, 2, 10_000),
                    buffer=check_range("replay buffer", self.buffer.value, 1000, 100_000),
                    learning_rate=check_range("learning rate", self.learning_rate.value, 1e-5, 0.1),
                    hidden_size=check_range("hidden units", self.hidden_size.value, 4, 256),
                    steps=check_range("env. steps", self.steps.value, STEPS_PER_STEP, 100_000),
                    seed=check_range("seed", self.seed.value, 0, 2**31 - 1))

    def make_run(self, settings):
        names = settings["variants"]
        capacity = [BATCH if name in ("no replay", "neither") else settings["buffer"] for name in names]
        period = [1 if name in ("no target network", "neither") else settings["period"] for name in names]
        agent = dqn.DQN(4, 2, n_agents=len(names), hidden_size=settings["hidden_size"],
                        lr=settings["learning_rate"], gamma=GAMMA, batch_size=BATCH,
                        replay_capacity=capacity, target_period=period, seed=settings["seed"])
        run = dqn.DQNRun(agent)
        self.prepare(run, settings)
        return run, settings["steps"] // STEPS_PER_STEP, agent.device

    def prepare(self, run, settings):
        names, steps = settings["variants"], settings["steps"]
        run.names, run.values = names, Growing()
        chance = random_return()
        with self.returns_figure.batch_update(), self.values_figure.batch_update():
            self.returns_figure.data, self.values_figure.data = (), ()
            for k, name in enumerate(names):
                colour = PALETTE[VARIANTS.index(name)]
                self.returns_figure.add_scatter(x=[], y=[], mode="lines", name=name,
                                                line=dict(color=colour, width=2))
                self.values_figure.add_scatter(x=[], y=[], mode="lines", name=name,
                                               line=dict(color=colour, width=2))
            for value, name, dash in ((MOST, f"maximum return ({MOST:.0f})", "dot"),
                                      (chance, f"random policy ({chance:.1f})", "dash")):
                self.returns_figure.add_scatter(x=[1, steps], y=[value] * 2, mode="lines", name=name,
                                                line=dict(color="black", dash=dash, width=1))
            updates = max(1, (steps - run.agent.learning_starts) // run.train_every)
            bound = 1 / (1 - GAMMA)
            self.values_figure.add_scatter(x=[1, updates], y=[bound] * 2, mode="lines",
                                           name=f"1 / (1 − γ) = {bound:.0f}: no return is larger",
                                           line=dict(color="black", dash="dash", width=1))
            self.cart.layout.shapes = cart_shapes(0.0, 0.0)

    def step(self, run):
        before = run.n_steps
        run.advance(STEPS_PER_STEP)
        estimates = run.agent.value_estimates
        if estimates and not torch.isfinite(estimates[-1]).all():
            return (f"diverged after {before} steps: the values overflowed — lower the "
                    f"learning rate")
        return None

    def draw(self, run):
        for k, name in enumerate(run.names):
            returns = np.asarray(run.episode_returns[k])
            if len(returns):
                window = min(10, len(returns))
                mean = np.convolve(returns, np.ones(window) / window, mode="valid")
                set_curve(self.returns_figure.data[k], mean, x=run.episode_ends[k][window - 1:])
        values = run.values.update(run.agent.value_estimates)
        if len(values):
            for k in range(len(run.names)):
                set_curve(self.values_figure.data[k], values[:, k], positive=True)
        x, _, angle, _ = run.observations[0].tolist()
        self.cart.layout.shapes = cart_shapes(x, angle)
        ends = run.episode_ends[0]
        self.cart.layout.title = (f"{run.names[0]}, playing now: step "
                                  f"{run.n_steps - (ends[-1] if ends else 0)} of its episode "
                                  f"{len(ends) + 1}")

    def summary(self, run):
        parts = []
        for k, name in enumerate(run.names):
            returns = run.episode_returns[k]
            late = f"{np.mean(returns[-10:]):.1f}" if returns else "no episode finished"
            parts.append(f"{name}: {late}")
        return "mean return of the last 10 episodes — " + "; ".join(parts) + "."
