"""The cliff explorer: SARSA, Q-learning or expected SARSA learning the cliff walk live
(``book.rl.td``; chapter "Temporal-difference learning").

Left: the method, epsilon, the step size alpha, the discount gamma, episodes, seed. Right: the
grid coloured by the learned state values max_a Q(s, a), the cliff marked, the greedy path
from start to goal drawn over it; below, the return of every episode as it was played
(exploration included) with its 10-episode mean and the shortest path's -13 as the reference.
One training step is one episode; a long episode (the first ones wander) yields to the kernel
every few hundred moves, so Stop answers inside it.
"""
import numpy as np

from ..plots import PALETTE
from ..rl import td
from .training import (TrainingWidget, check_range, choice, figure, number, set_curve)

METHOD_NAMES = {"Q-learning": "q_learning", "SARSA": "sarsa", "expected SARSA": "expected_sarsa"}
SHORTEST = -13.0          # the optimal path's return: 13 moves along the cliff's edge
PAUSE_EVERY = 300         # moves between yields within an episode


class CliffExplorer(TrainingWidget):
    HEAVIEST = (dict(method="SARSA", epsilon=1.0, episodes=5000),)    # random walks: longest episodes
    draw_between_parts = True        # the values change at every move: redraw inside long episodes

    def __init__(self, method="Q-learning", epsilon=0.1, alpha=0.5, gamma=1.0, episodes=300,
                 seed=0):
        self.method = choice(METHOD_NAMES, method, "method")
        self.epsilon = number(float(epsilon), "ε (exploration)")
        self.alpha = number(float(alpha), "α (step size)")
        self.gamma = number(float(gamma), "γ (discount)")
        self.episodes = number(int(episodes), "episodes")
        self.seed = number(int(seed), "seed")
        self.env = td.CliffWalking()
        rows, cols = self.env.shape
        self.grid = figure("state values max_a Q(s, a) and the greedy path", "column", "row",
                           height=300, width=600)
        self.grid.update_yaxes(autorange="reversed", dtick=1)
        self.grid.update_layout(margin=dict(t=90), legend=dict(orientation="h", x=0, y=1.0,
                                                               yanchor="bottom"))
        self.grid.update_xaxes(dtick=1)
        self.returns_figure = figure("return of each episode (as played)", "episode", "return",
                                     height=260, width=600)
        self.returns_figure.update_yaxes(range=[-150, 0])
        super().__init__([self.method, self.epsilon, self.alpha, self.gamma, self.episodes,
                          self.seed], [self.grid, self.returns_figure])

    def settings(self):
        return dict(method=METHOD_NAMES[self.method.value],
                    epsilon=check_range("ε", self.epsilon.value, 0.0, 1.0),
                    step_size=check_range("α", self.alpha.value, 0.01, 1.0),
                    gamma=check_range("γ", self.gamma.value, 0.0, 1.0),
                    seed=check_range("seed", self.seed.value, 0, 2**31 - 1),
                    episodes=check_range("episodes", self.episodes.value, 1, 5000))

    def make_run(self, settings):
        episodes = settings.pop("episodes")
        env = self.env
        agent = td.TabularAgent(env.n_states, env.n_actions, n_runs=1, **settings)
        agent.returns = []
        rows, cols = env.shape
        cliff_r, cliff_c = np.divmod(env.cliff, cols)
        with self.grid.batch_update(), self.returns_figure.batch_update():
            self.grid.data = ()
            self.grid.add_heatmap(z=np.zeros(env.shape), colorscale="Blues",
                                  colorbar=dict(title="max Q", thickness=15), hoverongaps=False)
            self.grid.add_scatter(x=cliff_c, y=cliff_r, mode="markers", name="cliff (−100)",
                                  marker=dict(symbol="x", size=12, color="black"))
            self.grid.add_scatter(x=[], y=[], mode="lines+markers", name="greedy path",
                                  line=dict(color=PALETTE[3], width=3))
            start, goal = divmod(env.start, cols), divmod(env.goal, cols)
            for (r, c), text in ((start, "S"), (goal, "G")):
                self.grid.add_annotation(x=c, y=r, text=text, showarrow=False,
                                         font=dict(size=16, color="black"))
            self.returns_figure.data = ()
            self.returns_figure.add_scatter(x=[], y=[], mode="lines", name="each episode",
                                            line=dict(color="#bbbbbb", width=1))
            self.returns_figure.add_scatter(x=[], y=[], mode="lines", name="mean of the last 10",
                                            line=dict(color=PALETTE[0], width=2))
            self.returns_figure.add_scatter(x=[1, episodes], y=[SHORTEST] * 2, mode="lines",
                                            name="the shortest path (−13)",
                                            line=dict(color="black", dash="dash", width=1))
        return agent, episodes, "cpu (numpy)"

    def step(self, agent):
        result = yield from td.training(self.env, agent, 1, pause_every=PAUSE_EVERY)
        agent.returns.append(float(result.returns[0, 0]))
        if not np.isfinite(agent.Q).all():
            return f"diverged at episode {len(agent.returns)}: the values overflowed — lower α"
        return None

    def draw(self, agent):
        env = self.env
        values = agent.Q[0].max(axis=1).reshape(env.shape)
        values = np.where(np.isin(np.arange(env.n_states), env.cliff).reshape(env.shape) |
                          (np.arange(env.n_states) == env.goal).reshape(env.shape), np.nan, values)
        self.grid.data[0].z = [[None if np.isnan(v) else round(float(v), 2) for v in row]
                               for row in values]             # the cliff and the goal: blank
        _, path = td.greedy_returns(env, agent.Q, max_steps=env.n_states)
        path = path[0]
        arrived = np.flatnonzero(path == env.goal)
        path = path[:arrived[0] + 1] if len(arrived) else path
        r, c = np.divmod(path, env.shape[1])
        self.grid.data[2].x, self.grid.data[2].y = c, r
        returns = np.asarray(agent.returns)
        set_curve(self.returns_figure.data[0], returns)
        if len(returns):
            mean = np.convolve(returns, np.ones(10) / 10, mode="valid") if len(returns) >= 10 else []
            set_curve(self.returns_figure.data[1], mean, x=np.arange(10, len(returns) + 1))

    def summary(self, agent):
        greedy, _ = td.greedy_returns(self.env, agent.Q, max_steps=self.env.n_states)
        reached = f"return {greedy[0]:.0f}" if np.isfinite(greedy[0]) else "does not reach the goal"
        return (f"greedy path: {reached}; mean return of the last 100 episodes as played: "
                f"{np.mean(agent.returns[-100:]):.1f}.")
