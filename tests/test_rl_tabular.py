"""The tabular reinforcement-learning package (book/rl: bandits, mdp, td) and the effects its
three chapters claim, read from the numbers the built pages glued.

Glue keys read from the build (chapters/rl/*.glue.json):
  bandits: eps_finds_best_eps01, greedy_stuck_greedy, greedy_stuck_eps001,
           optimism_pays_later_opt, optimism_pays_later_real, ucb_beats_eps_share,
           ucb_beats_eps_ucb, ucb_beats_eps_eps, baseline_matters_with_baseline,
           baseline_matters_without_baseline, regret_rates_ucb_late, regret_rates_ucb_middle,
           regret_rates_eps_late, regret_rates_floor
  mdp:     random_values_v1, random_values_v2, random_values_v3, random_values_v5,
           random_values_gap, in_place_faster_in_place, in_place_faster_two_arrays,
           pi_vi_agree_worst, ring_solved_optimal, ring_solved_random, ring_solved_idle,
           ring_brakes_brake1, ring_brakes_brake3, planner_slip_{row0,row1,row2,v0,v1,v2}
  td:      td0_tradeoff_fast_5k, td0_tradeoff_slow_5k, td0_tradeoff_fast_end,
           td0_tradeoff_slow_end, td0_tradeoff_start, sarsa_earns_more_sarsa,
           sarsa_earns_more_q, q_learning_optimal_q13, sarsa_safe_sarsa17, sarsa_safe_sarsa13
"""

import numpy as np
import pytest

from book.rl import bandits, mdp, td
from book.stepping import exhaust
from built import glued_numbers

EXAMPLE_4_1 = np.array([[0, -14, -20, -22], [-14, -18, -20, -20], [-20, -20, -18, -14],
                        [-22, -20, -14, 0]])


# --- bandits -------------------------------------------------------------------------------

def test_testbed_draws_values_and_rewards_as_specified():
    bed = bandits.Testbed(k=10, n_runs=4000, seed=3)
    assert bed.q_star.shape == (4000, 10)
    assert abs(bed.q_star.mean()) < 0.02 and abs(bed.q_star.std() - 1) < 0.02
    assert np.array_equal(bed.optimal_action, bed.q_star.argmax(axis=1))
    actions = np.random.default_rng(0).integers(10, size=4000)
    noise = np.concatenate([bed.step(actions) - bed.q_star[np.arange(4000), actions] for _ in range(20)])
    assert abs(noise.mean()) < 0.01 and abs(noise.std() - 1) < 0.01
    shifted = bandits.Testbed(n_runs=4000, mean=4.0, seed=3)
    assert np.allclose(shifted.q_star, bed.q_star + 4.0)       # same draws, shifted


def test_ties_are_broken_uniformly_at_random():
    values = np.tile([1.0, 3.0, 3.0, 0.0, 3.0], (30_000, 1))
    picks = bandits.argmax_random(values, np.random.default_rng(1))
    share = np.bincount(picks, minlength=5) / len(picks)
    assert share[0] == share[3] == 0
    assert np.allclose(share[[1, 2, 4]], 1 / 3, atol=0.01)


def test_sample_averages_and_epsilon_greedy_frequencies():
    agent = bandits.EpsilonGreedy(4, 1, epsilon=0.0, seed=0)
    rewards = {a: [] for a in range(4)}
    rng = np.random.default_rng(5)
    for _ in range(200):
        a = rng.integers(4, size=1)
        r = rng.normal(size=1)
        agent.update(a, r)
        rewards[int(a[0])].append(float(r[0]))
    assert np.allclose(agent.Q[0], [np.mean(rewards[a]) for a in range(4)])        # eq. incremental
    assert agent.N[0].tolist() == [len(rewards[a]) for a in range(4)]
    explorer = bandits.EpsilonGreedy(5, 50_000, epsilon=0.3, seed=2)
    explorer.Q[:] = [0.0, 2.0, 1.0, 2.0, -1.0]
    share = np.bincount(explorer.act(), minlength=5) / 50_000
    expected = 0.3 / 5 + 0.7 * np.array([0, 0.5, 0, 0.5, 0])
    assert np.allclose(share, expected, atol=0.01)


def test_ucb_tries_every_arm_first_then_follows_its_bonus():
    bed = bandits.Testbed(k=10, n_runs=50, seed=0)
    agent = bandits.UCB(10, 50, c=2.0)
    first = []
    for _ in range(10):
        a = agent.act()
        agent.update(a, bed.step(a))
        first.append(a)
    assert (np.sort(np.array(first), axis=0) == np.arange(10)[:, None]).all()
    a = agent.act()
    expected = np.argmax(agent.Q + 2.0 * np.sqrt(np.log(11) / agent.N), axis=1)
    assert np.array_equal(a, expected)


def test_gradient_bandit_policy_is_a_softmax_and_learns():
    agent = bandits.GradientBandit(10, 2000, step_size=0.1)
    assert np.allclose(agent.policy, 0.1)
    result = bandits.run(agent, bandits.Testbed(n_runs=2000, mean=4.0, seed=0), 300)
    assert np.allclose(agent.policy.sum(axis=1), 1)
    assert result.optimal[-50:].mean() > 0.5


def test_sutton_barto_figure_2_2_numbers():
    share = {}
    for epsilon in (0.0, 0.1):
        result = bandits.run(bandits.EpsilonGreedy(10, 2000, epsilon=epsilon), bandits.Testbed(seed=1), 1000)
        share[epsilon] = result.optimal[-20:].mean()
        assert np.all(np.diff(result.regret) >= 0)              # every step adds a gap >= 0
    assert 0.7 < share[0.1] < 0.9 and 0.25 < share[0.0] < 0.45
    ucb = bandits.run(bandits.UCB(10, 2000, c=2.0), bandits.Testbed(seed=1), 1000)
    eps = bandits.run(bandits.EpsilonGreedy(10, 2000, epsilon=0.1), bandits.Testbed(seed=1), 1000)
    assert (ucb.reward[10:] > eps.reward[10:]).mean() > 0.8 and ucb.regret[-1] < eps.regret[-1]
    random = bandits.run(bandits.RandomArm(10, 2000), bandits.Testbed(seed=1), 200)
    assert abs(random.optimal.mean() - 0.1) < 0.01


# --- dynamic programming --------------------------------------------------------------------

def test_gridworld_transitions_are_probabilities():
    for world in (mdp.example_4_1(), mdp.gridworld((3, 5), terminals=(14,), walls=(6,), slip=0.2,
                                                   rewards={14: 1.0}, gamma=0.9), mdp.ring()):
        assert np.allclose(world.P.sum(axis=2), 1)
        assert (world.P >= 0).all()


def test_example_4_1_random_policy_values_match_the_exact_linear_solve():
    grid = mdp.example_4_1()
    policy = mdp.uniform_policy(grid)
    exact = mdp.exact_value(grid, policy)
    assert np.allclose(exact.reshape(4, 4), EXAMPLE_4_1, atol=1e-9)
    # the linear solve, written independently of book.rl.mdp
    live = ~grid.terminal
    P_pi = grid.P.mean(axis=1)[np.ix_(live, live)]
    direct = np.linalg.solve(np.eye(live.sum()) - P_pi, np.full(live.sum(), -1.0))
    assert np.allclose(exact[live], direct, atol=1e-9)
    for in_place in (False, True):
        evaluation = mdp.policy_evaluation(grid, policy, theta=1e-10, in_place=in_place)
        assert np.abs(evaluation.V - exact).max() < 1e-6
    sweeps = mdp.policy_evaluation(grid, policy).history
    assert np.allclose(sweeps[1].reshape(4, 4)[0], [0, -1, -1, -1])
    assert np.allclose(sweeps[3].reshape(4, 4)[0], [0, -2.4375, -2.9375, -3])     # Figure 4.1, k = 3


def test_policy_and_value_iteration_find_the_shortest_paths():
    grid = mdp.example_4_1()
    rows, cols = np.divmod(np.arange(16), 4)
    distance = np.minimum(rows + cols, 6 - rows - cols)
    assert np.allclose(mdp.value_iteration(grid).V, -distance)
    assert np.allclose(mdp.policy_iteration(grid).V, -distance)
    greedy = mdp.value_iteration(grid).policy
    assert np.allclose(mdp.exact_value(grid, mdp.deterministic(greedy, 4)), -distance)


def test_value_iteration_matches_policy_iteration_on_a_slippery_discounted_grid():
    world = mdp.gridworld((4, 5), terminals=(4, 9), walls=(7, 12), slip=0.3, step_reward=-0.05,
                          rewards={4: 1.0, 9: -1.0}, gamma=0.95)
    vi, pi = mdp.value_iteration(world, theta=1e-12), mdp.policy_iteration(world)
    assert np.abs(vi.V - pi.V).max() < 1e-8
    assert np.abs(mdp.exact_value(world, mdp.deterministic(vi.policy, 4)) - pi.V).max() < 1e-8


def test_ring_particle_rests_on_the_target():
    ring = mdp.ring()
    solution = mdp.value_iteration(ring)
    assert solution.V[3] == pytest.approx(10.0)                 # at rest on site 0: 1 / (1 - 0.9)
    assert solution.policy[3] == 1                              # ... and it does not push
    assert np.abs(solution.V - mdp.policy_iteration(ring).V).max() < 1e-8


# --- temporal-difference learning -----------------------------------------------------------

def test_cliff_dynamics_match_gymnasium():
    gym = pytest.importorskip("gymnasium")
    reference = gym.make("CliffWalking-v1").unwrapped
    cliff = td.CliffWalking()
    for s in range(cliff.n_states - 1):
        for a in range(4):
            [(p, s2, r, done)] = reference.P[s][a]
            assert (cliff.next_state[s, a], cliff.reward[s, a], cliff.terminated[s, a]) == (s2, r, done)
    cliff.reset()
    assert cliff.step(1) == (36, -100.0, False, False, {})


def test_expected_sarsa_probabilities_share_ties():
    agent = td.TabularAgent(4, 3, "expected_sarsa", epsilon=0.3)
    p = agent.probabilities(np.array([[1.0, 1.0, 0.0], [0.0, 2.0, 1.0]]))
    assert np.allclose(p, [[0.45, 0.45, 0.1], [0.1, 0.8, 0.1]])


def test_q_learning_walks_the_edge_and_sarsa_the_safe_path():
    cliff = td.CliffWalking()
    greedy, online = {}, {}
    for method in ("q_learning", "sarsa"):
        agent = td.TabularAgent(cliff.n_states, 4, method, n_runs=40, step_size=0.5, epsilon=0.1, seed=4)
        online[method] = td.train(cliff, agent, n_episodes=300).returns
        greedy[method], paths = td.greedy_returns(cliff, agent.Q)
    assert (greedy["q_learning"] == -13).all()
    assert (greedy["sarsa"] != -13).all() and np.median(greedy["sarsa"]) == -17
    assert online["sarsa"].mean() > online["q_learning"].mean() + 10
    assert (online["q_learning"] <= -13).all()


def test_one_run_in_python_equals_the_numpy_loop():
    cliff = td.CliffWalking()
    for method in td.METHODS:
        agents = [td.TabularAgent(cliff.n_states, 4, method, n_runs=1, epsilon=0.2, seed=7) for _ in range(2)]
        python = td.train(cliff, agents[0], n_episodes=60)
        numpy_loop = exhaust(td.training_runs(cliff, agents[1], n_episodes=60))
        assert np.array_equal(python.returns, numpy_loop.returns)
        assert np.array_equal(python.lengths, numpy_loop.lengths) and python.steps == numpy_loop.steps
        assert np.array_equal(agents[0].Q, agents[1].Q)


def test_train_counts_episodes_and_returns():
    cliff = td.CliffWalking((3, 4))
    agent = td.TabularAgent(cliff.n_states, 4, "q_learning", n_runs=5, seed=0)
    result = td.train(cliff, agent, n_episodes=30)
    assert result.returns.shape == (5, 30) and (result.lengths >= 5).all()
    assert (result.returns <= -5).all()                          # the shortest path takes 5 steps
    falls = (result.lengths + result.returns) / -99              # -1 per step, -99 extra per fall
    assert np.allclose(falls, np.round(falls))


def test_td0_approaches_the_exact_values():
    grid = mdp.example_4_1()
    policy = mdp.uniform_policy(grid)
    truth = mdp.exact_value(grid, policy)
    result = td.td0(grid, policy, truth, n_runs=20, n_steps=10_000, step_size=0.1, seed=1)
    assert result.rms[0] > 15 and result.rms[-1] < 2.5
    assert result.steps[-1] == 10_000


# --- the chapters' effects, from the built book ---------------------------------------------




def test_bandit_chapter_reproduces_figure_2_2_and_ucb(built_book):
    g = glued_numbers(built_book, "rl/bandits")
    assert 70 < g["eps_finds_best_eps01"] < 90
    assert 25 < g["greedy_stuck_greedy"] < 45 < g["greedy_stuck_eps001"] < g["eps_finds_best_eps01"]
    assert g["optimism_pays_later_opt"] > g["optimism_pays_later_real"]
    assert g["ucb_beats_eps_share"] > 90 and g["ucb_beats_eps_ucb"] > g["ucb_beats_eps_eps"]
    assert g["baseline_matters_with_baseline"] > g["baseline_matters_without_baseline"] + 15
    assert g["regret_rates_ucb_late"] < 0.6 * g["regret_rates_ucb_middle"]
    assert g["regret_rates_eps_late"] > g["regret_rates_floor"] > g["regret_rates_ucb_late"]


def test_mdp_chapter_finds_example_4_1_and_a_braking_particle(built_book):
    g = glued_numbers(built_book, "rl/mdp")
    # values of an iterative method: -22 on one machine is -21.999999999999996 on another
    assert [g["random_values_v1"], g["random_values_v2"], g["random_values_v3"],
            g["random_values_v5"]] == pytest.approx([-14, -20, -22, -18], abs=1e-6)
    assert g["random_values_gap"] < 1e-6
    assert g["in_place_faster_in_place"] < g["in_place_faster_two_arrays"]
    assert g["pi_vi_agree_worst"] == pytest.approx(-3, abs=1e-6)
    assert g["ring_solved_optimal"] > 5 * max(g["ring_solved_random"], g["ring_solved_idle"])
    assert g["ring_brakes_brake3"] > g["ring_brakes_brake1"]
    # the planner's static run: the greedy path keeps further from the cliff as moves slip more
    assert (g["planner_slip_row0"], g["planner_slip_row1"], g["planner_slip_row2"]) == (2, 1, 0)
    assert g["planner_slip_v0"] == pytest.approx(-13, abs=1e-6) and g["planner_slip_v0"] > g["planner_slip_v1"] > g["planner_slip_v2"]


def test_td_chapter_contrasts_sarsa_and_q_learning_on_the_cliff(built_book):
    g = glued_numbers(built_book, "rl/td")
    assert g["td0_tradeoff_fast_5k"] < g["td0_tradeoff_slow_5k"]
    assert g["td0_tradeoff_slow_end"] < g["td0_tradeoff_fast_end"] < g["td0_tradeoff_start"] / 5
    assert g["sarsa_earns_more_sarsa"] > g["sarsa_earns_more_q"] + 10
    assert g["q_learning_optimal_q13"] > 95
    assert g["sarsa_safe_sarsa17"] > 50 and g["sarsa_safe_sarsa13"] < 5
