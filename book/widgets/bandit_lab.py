"""The bandit lab: several agents on the same k-armed testbed, average reward and % optimal
action growing as they play (``book.rl.bandits``; chapter "Bandits and exploration").

Left: the agents to compare and their parameters (epsilon, optimistic initial value, UCB's c,
the gradient bandit's step size), the number of independent bandit problems averaged over,
steps, seed. Right: the mean reward per step, with the random arm's expected reward and the
best arm's as reference lines, and the fraction of runs that pulled their best arm, with
chance (1/k). Every agent plays its own copy of the same testbed (same true values, same
reward noise); one training step is one pull in every run of every agent.
"""
import ipywidgets as widgets
import numpy as np

from ..plots import PALETTE
from ..rl import bandits
from .training import (Refused, TrainingWidget, check_range, figure, number, set_curve)

K = 10
AGENTS = ("greedy", "ε-greedy", "optimistic greedy", "UCB", "gradient bandit")


class _Lab:
    """The agents, their testbed and what they have earned so far. Each agent plays its own
    copy of the testbed: the copies share the true values and each step's reward noise."""

    def __init__(self, names, epsilon, initial, c, step_size, n_runs, seed):
        self.agents = {}
        for name in names:
            self.agents[name] = {
                "greedy": lambda: bandits.EpsilonGreedy(K, n_runs, epsilon=0.0, seed=seed + 1),
                "ε-greedy": lambda: bandits.EpsilonGreedy(K, n_runs, epsilon=epsilon, seed=seed + 1),
                "optimistic greedy": lambda: bandits.EpsilonGreedy(K, n_runs, epsilon=0.0,
                                                                   initial=initial, step_size=0.1,
                                                                   seed=seed + 1),
                "UCB": lambda: bandits.UCB(K, n_runs, c=c, seed=seed + 1),
                "gradient bandit": lambda: bandits.GradientBandit(K, n_runs, step_size=step_size,
                                                                  seed=seed + 1),
            }[name]()
        self.testbed = bandits.Testbed(K, n_runs, seed=seed)
        self.random_reward = float(self.testbed.q_star.mean())        # pulling any arm at random
        self.best_reward = float(self.testbed.q_star.max(axis=1).mean())
        self.reward = {name: [] for name in names}
        self.optimal = {name: [] for name in names}

    def step(self):
        testbed = self.testbed
        noise = testbed.rng.standard_normal(testbed.n_runs)
        n = testbed.n_runs
        for name, agent in self.agents.items():
            actions = agent.act()
            rewards = testbed.step(actions, noise)
            agent.update(actions, rewards)
            self.reward[name].append(rewards.sum() / n)
            self.optimal[name].append(np.count_nonzero(actions == testbed.optimal_action) / n)


def label(name, settings):
    return {"ε-greedy": f"ε-greedy (ε = {settings['epsilon']:g})",
            "optimistic greedy": f"optimistic greedy (Q₁ = {settings['initial']:g})",
            "UCB": f"UCB (c = {settings['c']:g})",
            "gradient bandit": f"gradient bandit (α = {settings['step_size']:g})"}.get(name, name)


class BanditLab(TrainingWidget):
    HEAVIEST = (dict(agents=AGENTS, runs=2000, steps=5000),)

    def __init__(self, agents=("greedy", "ε-greedy", "UCB"), epsilon=0.1, initial=5.0, c=2.0,
                 step_size=0.1, runs=1000, steps=1000, seed=0):
        self.agents = widgets.SelectMultiple(options=AGENTS, value=tuple(agents), rows=5,
                                             description="agents", style={"description_width": "110px"})
        self.epsilon = number(float(epsilon), "ε (ε-greedy)")
        self.initial = number(float(initial), "Q₁ (optimistic)")
        self.c = number(float(c), "c (UCB)")
        self.step_size = number(float(step_size), "α (gradient)")
        self.runs = number(int(runs), "bandit problems")
        self.steps = number(int(steps), "steps")
        self.seed = number(int(seed), "seed")
        self.reward_figure = figure("average reward", "step", "reward", height=260, width=560)
        self.optimal_figure = figure("% optimal action", "step", "% of runs", height=260, width=560)
        super().__init__([self.agents, self.epsilon, self.initial, self.c, self.step_size,
                          self.runs, self.steps, self.seed],
                         [self.reward_figure, self.optimal_figure])

    def settings(self):
        if not self.agents.value:
            raise Refused("no agent chosen: select at least one (Ctrl- or Shift-click for several)")
        return dict(names=tuple(self.agents.value),
                    epsilon=check_range("ε", self.epsilon.value, 0.0, 1.0),
                    initial=check_range("Q₁", self.initial.value, -10.0, 100.0),
                    c=check_range("c", self.c.value, 0.0, 100.0),
                    step_size=check_range("α", self.step_size.value, 1e-4, 100.0),
                    n_runs=check_range("bandit problems", self.runs.value, 1, 2000),
                    seed=check_range("seed", self.seed.value, 0, 2**31 - 1),
                    steps=check_range("steps", self.steps.value, 1, 5000))

    def make_run(self, settings):
        steps = settings.pop("steps")
        lab = _Lab(**settings)
        lab.names = {name: label(name, settings) for name in lab.agents}
        with self.reward_figure.batch_update(), self.optimal_figure.batch_update():
            for fig in (self.reward_figure, self.optimal_figure):
                fig.data = ()
                for k, name in enumerate(lab.agents):
                    # ε-greedy at ε = 0 is the greedy agent: dotted, its curve on the other's
                    same = name == "ε-greedy" and settings["epsilon"] == 0 and "greedy" in lab.agents
                    fig.add_scatter(x=[], y=[], mode="lines", name=lab.names[name],
                                    line=dict(color=PALETTE[AGENTS.index(name)], width=1.5,
                                              dash="dot" if same else None))
            for value, what, dash in ((lab.best_reward, "the best arm", "dot"),
                                      (lab.random_reward, "a random arm", "dash")):
                self.reward_figure.add_scatter(x=[1, steps], y=[value] * 2, mode="lines",
                                               name=f"{what} ({value:.2f})",
                                               line=dict(color="black", dash=dash, width=1))
            self.optimal_figure.add_scatter(x=[1, steps], y=[100 / K] * 2, mode="lines",
                                            name=f"chance ({100 / K:.0f} %)",
                                            line=dict(color="black", dash="dash", width=1))
        return lab, steps, f"cpu (numpy, {settings['n_runs']} bandit problems at once)"

    def step(self, lab):
        lab.step()
        for name, agent in lab.agents.items():       # value estimates average finite rewards:
            if hasattr(agent, "H") and not np.isfinite(agent.H).all():   # preferences can overflow
                return (f"diverged at step {len(lab.reward[name])} ({lab.names[name]}): its "
                        f"estimates overflowed — lower α")
        return None

    def draw(self, lab):
        for k, name in enumerate(lab.agents):
            set_curve(self.reward_figure.data[k], lab.reward[name])
            set_curve(self.optimal_figure.data[k], 100 * np.asarray(lab.optimal[name]))

    def summary(self, lab):
        last = {name: 100 * np.mean(lab.optimal[name][-100:]) for name in lab.agents}
        return "optimal action over the last 100 steps: " + ", ".join(
            f"{lab.names[name]} {value:.0f} %" for name, value in last.items()) + "."
