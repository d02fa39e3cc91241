"""The CartPole trainer: REINFORCE (with or without a learned baseline) balancing a pole live
(``book.rl.policy``; chapter "Policy gradients").

Left: the baseline on or off, the policy's learning rate (the baseline network learns at 1.5
times it), hidden units, episodes per update, episodes, seed. Right: the return of every
episode and the mean of the last 100, with the random policy's mean return and CartPole-v1's
"solved" threshold (475) as reference lines; below, the cart and its pole drawn from the state
(plotly shapes, no display needed), replaying the first episode of the latest batch in about
real time. One training step plays one batch of episodes to their end and makes one update;
the batch yields to the kernel every few dozen moves, so Stop answers inside it.
"""
import functools

import ipywidgets as widgets
import numpy as np
import torch

from ..plots import PALETTE
from ..rl import envs, policy
from .figure_widget import FigureWidget
from .training import (TrainingWidget, check_range, figure, number, set_curve)

SOLVED = 475.0            # gymnasium's reward threshold for CartPole-v1
PAUSE_EVERY = 50          # moves of a batch between yields
FRAMES_PER_REDRAW = 4     # CartPole moves 0.02 s per step: 4 steps per redraw is about real time
POLE = 1.0                # the pole's length (gymnasium's half-length is 0.5)


@functools.cache
def random_return(n_episodes=100):
    """The uniformly random policy's mean return over ``n_episodes`` (seeded): the line to beat."""
    return float(envs.episode_returns(envs.cartpole(), n_episodes).mean())


def cart_shapes(x, angle):
    """The track, the cart and the pole at cart position x and pole angle (radians from
    upright, positive to the right), as plotly shapes."""
    top = 0.25
    return [dict(type="line", x0=-2.4, x1=2.4, y0=0, y1=0, line=dict(color="#777", width=2)),
            dict(type="rect", x0=x - 0.25, x1=x + 0.25, y0=0, y1=top,
                 fillcolor=PALETTE[0], line=dict(color=PALETTE[0])),
            dict(type="line", x0=x, y0=top, x1=x + POLE * np.sin(angle),
                 y1=top + POLE * np.cos(angle), line=dict(color=PALETTE[3], width=6))]


def cart_figure(title, width=560):
    """An empty figure for ``cart_shapes``: the track's length, the pole's height, equal scales."""
    return FigureWidget(layout=dict(
        title=title, height=220, width=width, template="plotly_white",
        margin=dict(l=40, r=10, t=40, b=30), xaxis=dict(range=[-2.6, 2.6], title="cart position"),
        yaxis=dict(range=[-0.2, 1.4], visible=False, scaleanchor="x")))


class CartPoleTrainer(TrainingWidget):
    HEAVIEST = (dict(hidden_size=256, batch=32, episodes=5000),)
    draw_between_parts = True       # the replay moves on at every redraw, inside long batches too

    def __init__(self, baseline=True, learning_rate=0.02, hidden_size=32, batch=8, episodes=504,
                 seed=0):
        self.baseline = widgets.Checkbox(bool(baseline), description="learned baseline v(s)",
                                         indent=False)
        self.learning_rate = number(float(learning_rate), "learning rate")
        self.hidden_size = number(int(hidden_size), "hidden units")
        self.batch = number(int(batch), "episodes / update")
        self.episodes = number(int(episodes), "episodes")
        self.seed = number(int(seed), "seed")
        self.returns_figure = figure("return of each episode", "episode", "return",
                                     height=280, width=560)
        self.returns_figure.update_yaxes(range=[0, 520])
        self.cart = cart_figure("the current policy, replayed")
        super().__init__([self.baseline, self.learning_rate, self.hidden_size, self.batch,
                          self.episodes, self.seed], [self.returns_figure, self.cart])

    def settings(self):
        return dict(baseline=bool(self.baseline.value),
                    learning_rate=check_range("learning rate", self.learning_rate.value, 1e-5, 1.0),
                    hidden_size=check_range("hidden units", self.hidden_size.value, 2, 256),
                    batch=check_range("episodes / update", self.batch.value, 1, 32),
                    seed=check_range("seed", self.seed.value, 0, 2**31 - 1),
                    episodes=check_range("episodes", self.episodes.value, 1, 5000))

    def make_run(self, settings):
        agent = policy.ReinforceAgent(hidden_size=settings["hidden_size"],
                                      lr=settings["learning_rate"],
                                      value_lr=1.5 * settings["learning_rate"], gamma=0.99,
                                      baseline=settings["baseline"], seed=settings["seed"])
        agent.envs = envs.cartpole_vector(settings["batch"])
        agent.envs.reset(seed=settings["seed"])
        agent.played, agent.replay, agent.frame = [], np.zeros((1, 4)), 0
        steps = -(-settings["episodes"] // settings["batch"])        # batches, rounded up
        with self.returns_figure.batch_update(), self.cart.batch_update():
            self.returns_figure.data = ()
            self.returns_figure.add_scatter(x=[], y=[], mode="lines", name="each episode",
                                            line=dict(color="#bbbbbb", width=1))
            self.returns_figure.add_scatter(x=[], y=[], mode="lines", name="mean of the last 100",
                                            line=dict(color=PALETTE[0], width=2))
            last = steps * settings["batch"]
            chance = random_return()
            for value, name, dash in ((SOLVED, f"solved ({SOLVED:.0f})", "dot"),
                                      (chance, f"random policy ({chance:.1f})", "dash")):
                self.returns_figure.add_scatter(x=[1, last], y=[value] * 2, mode="lines", name=name,
                                                line=dict(color="black", dash=dash, width=1))
            self.cart.layout.shapes = cart_shapes(0.0, 0.0)
        return agent, steps, agent.device

    def step(self, agent):
        observations, actions, rewards, mask = yield from policy.playing(
            agent, agent.envs, pause_every=PAUSE_EVERY)
        agent.played += rewards.sum(0).tolist()
        yield
        agent.update(observations, actions, rewards, mask)
        first = observations[:, 0][mask[:, 0] > 0].cpu().numpy()      # the first episode's states
        if agent.frame >= len(agent.replay) - 1:                      # the last replay is over
            agent.replay, agent.frame = first, 0
        if not all(torch.isfinite(p).all() for p in agent.policy.parameters()):
            return (f"diverged after {len(agent.played)} episodes: the policy's weights "
                    f"overflowed — lower the learning rate")
        return None

    def draw(self, agent):
        returns = np.asarray(agent.played)
        set_curve(self.returns_figure.data[0], returns)
        if len(returns) >= 100:
            mean = np.convolve(returns, np.ones(100) / 100, mode="valid")
            set_curve(self.returns_figure.data[1], mean, x=np.arange(100, len(returns) + 1))
        x, _, angle, _ = agent.replay[min(agent.frame, len(agent.replay) - 1)]
        self.cart.layout.shapes = cart_shapes(float(x), float(angle))
        self.cart.layout.title = (f"the current policy, replayed: step {agent.frame + 1} of "
                                  f"{len(agent.replay)}")
        agent.frame = min(agent.frame + FRAMES_PER_REDRAW, len(agent.replay) - 1)

    def summary(self, agent):
        return (f"{len(agent.played)} episodes; mean return of the last 100: "
                f"{np.mean(agent.played[-100:]):.1f} (solved at {SOLVED:.0f}).")
