"""The reinforcement-learning widgets are the chapters' own code, driven live: the same
numbers as the modules for the same seeds, the pole drawn where the state says."""
import asyncio
import time

import numpy as np
import plotly
import pytest

from book.rl import bandits, dqn, envs, mdp, policy, td
from book.widgets import BanditLab, CartPoleTrainer, CliffExplorer, DQNTrainer, GridworldPlanner
from book.widgets.cartpole_trainer import POLE, cart_shapes, random_return


def test_bandit_lab_plays_the_modules_agents_on_the_modules_testbed():
    lab, _ = BanditLab(agents=("ε-greedy", "UCB"), epsilon=0.1, runs=50, steps=40).run_to_end()
    for name, agent in (("ε-greedy", bandits.EpsilonGreedy(10, 50, epsilon=0.1, seed=1)),
                        ("UCB", bandits.UCB(10, 50, c=2.0, seed=1))):
        reference = bandits.run(agent, bandits.Testbed(10, 50, seed=0), 40)
        np.testing.assert_allclose(lab.optimal[name], reference.optimal)
        np.testing.assert_allclose(lab.reward[name], reference.reward)


def test_bandit_lab_draws_chance_and_the_arms_it_must_beat():
    widget = BanditLab(agents=("greedy",), runs=100, steps=5)
    lab, _ = widget.run_to_end()
    names = [trace.name for trace in widget.reward_figure.data]
    assert names[1].startswith("the best arm") and names[2].startswith("a random arm")
    assert widget.optimal_figure.data[-1].y == (10.0, 10.0)
    assert lab.best_reward > 1.0 > abs(lab.random_reward)


def test_bandit_lab_refuses_an_empty_choice_with_a_message():
    widget = BanditLab()
    widget.agents.value = ()
    assert widget.train() is None
    assert "no agent chosen" in widget.status.value


def test_cliff_explorer_learns_the_paths_of_the_chapter():
    """Q-learning's greedy path runs along the edge (-13), SARSA's keeps away from it."""
    returns = {}
    for method in ("Q-learning", "SARSA"):
        widget = CliffExplorer(method=method, episodes=300)
        agent, note = widget.run_to_end()
        returns[method] = td.greedy_returns(widget.env, agent.Q)[0][0]
        assert len(agent.returns) == 300 and f"greedy path: return {returns[method]:.0f}" in note
        path = widget.grid.data[2]
        assert (path.x[0], path.y[0]) == (0, 3) and (path.x[-1], path.y[-1]) == (11, 3)
    assert returns["Q-learning"] == -13 and returns["SARSA"] < -13


def test_cliff_explorer_episode_is_the_modules_training_loop():
    widget = CliffExplorer(method="SARSA", episodes=1, seed=3)
    agent, _ = widget.run_to_end()
    reference = td.TabularAgent(48, 4, "sarsa", n_runs=1, step_size=0.5, epsilon=0.1, gamma=1.0,
                                seed=3)
    result = td.train(td.CliffWalking(), reference, 1)
    np.testing.assert_array_equal(agent.Q, reference.Q)
    assert agent.returns == [result.returns[0, 0]]


def test_cart_and_pole_are_drawn_from_the_state():
    track, cart, pole = cart_shapes(1.0, np.pi / 6)
    assert (cart["x0"] + cart["x1"]) / 2 == 1.0
    assert pole["x0"] == 1.0 and pole["y0"] == cart["y1"]
    assert pole["x1"] - pole["x0"] == pytest.approx(POLE / 2)          # sin 30°
    assert pole["y1"] - pole["y0"] == pytest.approx(POLE * np.sqrt(3) / 2)


def test_cartpole_trainer_is_the_chapters_reinforce_and_replays_its_episodes():
    widget = CartPoleTrainer(episodes=48)
    agent, note = widget.run_to_end()
    reference = policy.ReinforceAgent(hidden_size=32, lr=2e-2, value_lr=3e-2, gamma=0.99,
                                      baseline=True, seed=0)
    run = policy.train_reinforce(reference, n_episodes=48, n_envs=8, seed=0)
    np.testing.assert_array_equal(agent.played, run.returns)
    assert "48 episodes" in note
    assert len(agent.replay) in agent.played          # one episode, a state per step
    x, angle = agent.replay[0][0], agent.replay[0][2]
    assert widget.cart.layout.shapes[2].x0 == pytest.approx(x)
    assert random_return() == float(envs.episode_returns(envs.cartpole(), 100).mean())
    assert 15 < random_return() < 30


@pytest.mark.parametrize("slip", [0.0, 0.2])
def test_gridworld_planner_sweeps_are_the_modules_value_iteration(slip):
    run, note = GridworldPlanner(slip=slip, sweeps=100).run_to_end()
    world, start, goal, _ = mdp.cliff(slip)
    reference = mdp.value_iteration(world, theta=1e-10)
    assert run["deltas"][:len(reference.deltas)] == reference.deltas
    np.testing.assert_allclose(run["V"], reference.V, atol=1e-9)
    path = mdp.likely_path(world, reference.policy, start)
    np.testing.assert_array_equal(run["path"], path)
    assert path[-1] == goal and f"converged after {len(reference.deltas)} sweeps" in note
    assert len(run["deltas"]) == len(reference.deltas), "the run ends when it has converged"
    if slip == 0:                          # the shortest path, along the edge: 13 moves, -13
        assert len(path) - 1 == 13 and abs(run["V"][start] + 13) < 1e-9


def test_gridworld_planner_evaluates_the_random_policy_like_the_module():
    run, _ = GridworldPlanner(method="evaluate the random policy", gamma=0.9, slip=0.1,
                              sweeps=30).run_to_end()
    world, *_ = mdp.cliff(0.1, 0.9)
    reference = mdp.policy_evaluation(world, mdp.uniform_policy(world), max_sweeps=30)
    np.testing.assert_allclose(run["V"], reference.history[30])


def test_gridworld_planner_keeps_its_pace_and_draws_the_contraction_bound(reference_step):
    """A run at 20 sweeps per second lasts about sweeps / 20 s (the reader can watch it: no
    less, and no more than the sweeps' and redraws' own work, at most 200 reference steps);
    the largest change stays under gamma^k times the first one."""
    widget = GridworldPlanner(gamma=0.9, sweeps=10, pace=20.0)
    started = time.perf_counter()

    async def drive():
        await widget.train()
    asyncio.run(drive())
    took = time.perf_counter() - started
    assert 10 / 20 <= took < 10 / 20 + 200 * reference_step, (took, reference_step)
    assert "done: 10 steps" in widget.status.value, "not converged after 10 sweeps: all of them"
    changes, bound = widget.changes.data[0].y, widget.changes.data[1].y
    assert len(changes) == len(bound) == 10
    assert (np.asarray(changes) <= np.asarray(bound) * (1 + 1e-6)).all()


def test_dqn_trainer_trains_the_modules_agents():
    """The trainer's variants are the page's DQN agents, trained in lockstep: the same returns
    and values as dqn.train_dqn with the same settings; the cart is the first agent's state."""
    widget = DQNTrainer(variants=("DQN", "no replay", "no target network"), period=20,
                        buffer=2000, steps=1600, seed=4)
    run, note = widget.run_to_end()
    agent = dqn.DQN(4, 2, n_agents=3, hidden_size=32, lr=2e-3, gamma=0.99, batch_size=32,
                    replay_capacity=[2000, 32, 2000], target_period=[20, 20, 1], seed=4)
    reference = dqn.train_dqn(agent, 1600)
    assert run.episode_returns == reference.episode_returns and run.n_steps == 1600
    np.testing.assert_array_equal(run.value_curve(), reference.value_curve())
    x, _, angle, _ = run.observations[0].tolist()
    assert widget.cart.layout.shapes[2].x1 == pytest.approx(x + POLE * np.sin(angle))
    assert note.startswith("mean return of the last 10 episodes — DQN: ")
    names = [trace.name for trace in widget.returns_figure.data]
    assert names[:3] == ["DQN", "no replay", "no target network"]
    assert names[4].startswith("random policy") and np.allclose(widget.values_figure.data[-1].y, 100)


def test_dqn_trainer_shows_an_agent_of_a_lockstep_run_as_it_would_have_trained_it():
    """``show`` draws a run trained elsewhere: an agent selected from a page's lockstep run
    gives the figures and the summary of the trainer's own run of its settings."""
    settings = dict(variants=("DQN",), period=10, buffer=10_000, steps=1200, seed=3)
    own = DQNTrainer(**settings)
    _, own_note = own.run_to_end()
    agent = dqn.DQN(4, 2, n_agents=2, replay_capacity=[32, 10_000], target_period=[50, 10], seed=[0, 3])
    shown = DQNTrainer()
    note = shown.show(dqn.train_dqn(agent, 1200).select([1]), **settings)
    assert note == own_note
    for mine, theirs in zip(shown.figures, own.figures):
        assert plotly.io.to_json(mine) == plotly.io.to_json(theirs)


def test_dqn_trainer_refuses_no_variant_and_a_target_period_of_one():
    widget = DQNTrainer()
    widget.variants.value = ()
    assert widget.train() is None and "no variant chosen" in widget.status.value
    widget.variants.value = ("DQN",)
    widget.period.value = 1
    assert widget.train() is None and "choose a value between 2 and" in widget.status.value


def test_gridworld_planner_ends_its_run_when_it_has_converged():
    widget = GridworldPlanner(slip=0.0, sweeps=500, pace=1000.0)

    async def drive():
        await widget.train()
    asyncio.run(drive())
    assert "done after 15 of 500 steps" in widget.status.value, widget.status.value
    assert "converged after 15 sweeps" in widget.status.value
