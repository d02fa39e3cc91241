"""The gridworld planner: dynamic programming on the cliff walk, one sweep at a time
(``book.rl.mdp``; chapter "Markov decision processes and dynamic programming").

Left: the method (value iteration, or evaluating the random policy), the discount gamma, the
probability that a move slips in a random direction, sweeps, and the pace (sweeps per second:
a sweep of 48 states takes microseconds, too fast to watch). Right: the grid coloured by the
current values V(s), with the greedy actions on them as arrows and the path they lead along
from the start (each move where it most probably lands); below, the largest change of each sweep on a log scale, with the contraction
bound gamma^k times the first change (for gamma < 1) that value iteration must stay under.
One training step is one sweep; the run ends when a sweep changes no value by more than
CONVERGED.
"""
import numpy as np

from ..plots import PALETTE
from ..rl import mdp
from .training import (FINISHED, TrainingWidget, check_range, choice, figure, number,
                       set_curve)

METHODS = ("value iteration", "evaluate the random policy")
CONVERGED = 1e-10
LIGHT_BLUES = [[0, "#f7fbff"], [1, "#6baed6"]]   # light enough for the arrows drawn on it         # a sweep that changes no value by more than this: converged


class GridworldPlanner(TrainingWidget):
    HEAVIEST = (dict(method="evaluate the random policy", slip=0.7, sweeps=10_000, pace=200.0),
                dict(pace=0.5))                  # the longest rest between two sweeps: 2 s

    def __init__(self, method="value iteration", gamma=1.0, slip=0.1, sweeps=100, pace=20.0):
        self.method = choice(METHODS, method, "method")
        self.gamma = number(float(gamma), "γ (discount)")
        self.slip = number(float(slip), "slip probability")
        self.sweeps = number(int(sweeps), "sweeps")
        self.pace = number(float(pace), "sweeps / second")
        self.grid = figure("values V(s), greedy actions and the path they take", "column", "row",
                           height=300, width=600)
        self.grid.update_yaxes(autorange="reversed", dtick=1)
        self.grid.update_xaxes(dtick=1)
        self.grid.update_layout(margin=dict(t=90), legend=dict(orientation="h", x=0, y=1.0,
                                                               yanchor="bottom"))
        self.changes = figure("largest change of each sweep", "sweep", "max |V_k − V_k−1|",
                              height=260, width=600, log_y=True)
        super().__init__([self.method, self.gamma, self.slip, self.sweeps, self.pace],
                         [self.grid, self.changes])

    def settings(self):
        return dict(method=self.method.value,
                    gamma=check_range("γ", self.gamma.value, 0.0, 1.0),
                    slip=check_range("slip probability", self.slip.value, 0.0, 0.7),
                    sweeps=check_range("sweeps", self.sweeps.value, 1, 10_000),
                    pace=check_range("sweeps / second", self.pace.value, 0.5, 1000.0))

    def make_run(self, settings):
        world, start, goal, edge = mdp.cliff(settings["slip"], settings["gamma"])
        run = dict(world=world, start=start, goal=goal, edge=edge, V=np.zeros(world.n_states),
                   path=np.array([start]), deltas=[], pace=settings["pace"],
                   policy=None if settings["method"] == METHODS[0] else mdp.uniform_policy(world))
        rows, cols = world.shape
        edge_r, edge_c = np.divmod(edge, cols)
        with self.grid.batch_update(), self.changes.batch_update():
            self.grid.data = ()
            self.grid.add_heatmap(z=np.zeros(world.shape), colorscale=LIGHT_BLUES,
                                  colorbar=dict(title="V(s)", thickness=15), hoverongaps=False)
            self.grid.add_scatter(x=edge_c, y=edge_r, mode="markers", name="cliff (−100, ends)",
                                  marker=dict(symbol="x", size=12, color="black"))
            self.grid.add_scatter(x=[], y=[], mode="lines+markers", name="greedy path, no slip",
                                  line=dict(color=PALETTE[3], width=3), opacity=0.55)
            cells_r, cells_c = np.divmod(np.flatnonzero(~world.terminal), cols)
            self.grid.add_scatter(x=cells_c, y=cells_r, mode="text", text=[""] * len(cells_r),
                                  name="greedy actions", textfont=dict(size=15, color="black"),
                                  hoverinfo="skip")
            self.grid.layout.annotations = [
                dict(x=c, y=r, text=text, showarrow=False, font=dict(size=16, color="black"),
                     xshift=-14, yshift=12)
                for (r, c), text in ((divmod(start, cols), "S"), (divmod(goal, cols), "G"))]
            self.changes.data = ()
            self.changes.add_scatter(x=[], y=[], mode="lines", name="largest change",
                                     line=dict(color=PALETTE[0], width=2))
            self.changes.add_scatter(x=[], y=[], mode="lines", name="γ^k × the first change",
                                     line=dict(color="black", dash="dash", width=1))
        return run, settings["sweeps"], "cpu (numpy)"

    def step(self, run):
        new = mdp.sweep(run["world"], run["V"], run["policy"])
        run["deltas"].append(float(np.abs(new - run["V"]).max()))
        run["V"] = new
        run["path"] = mdp.likely_path(run["world"], mdp.greedy(run["world"], new), run["start"])
        yield 1.0 / run["pace"]            # rest: let the reader see this sweep
        if not np.isfinite(new).all():
            return f"diverged at sweep {len(run['deltas'])}: the values overflowed"
        return FINISHED if run["deltas"][-1] < CONVERGED else None

    def draw(self, run):
        world, V = run["world"], run["V"]
        rows, cols = world.shape
        shown = np.where(world.terminal, np.nan, V).reshape(world.shape)
        self.grid.data[0].z = [[None if np.isnan(v) else round(float(v), 2) for v in row]
                               for row in shown]                 # the cliff and the goal: blank
        best = mdp.greedy_set(world, V, tol=1e-6)[~world.terminal]
        self.grid.data[3].text = ["".join(a for a, on in zip(mdp.ARROWS, row) if on) for row in best]
        r, c = np.divmod(run["path"], cols)
        self.grid.data[2].x, self.grid.data[2].y = c, r
        deltas = np.asarray(run["deltas"])
        set_curve(self.changes.data[0], deltas, positive=True)
        gamma = world.gamma
        if gamma < 1 and len(deltas) and deltas[0] > 0:
            bound = deltas[0] * gamma ** np.arange(len(deltas))
            set_curve(self.changes.data[1], bound, positive=True)

    def summary(self, run):
        deltas = np.asarray(run["deltas"])
        below = np.flatnonzero(deltas < CONVERGED)
        converged = (f"converged after {below[0] + 1} sweeps (no value changed by more than "
                     f"{CONVERGED:.0e})" if len(below) else
                     f"not yet converged (last change {deltas[-1]:.1e})")
        path = run["path"]
        ends = (f"reaches the goal in {len(path) - 1} moves if none slips" if path[-1] == run["goal"]
                else "does not reach the goal")
        return f"{converged}; V(start) = {run['V'][run['start']]:.2f}; the greedy path {ends}."
