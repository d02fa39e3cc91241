"""Value-function approximation, deep Q-networks and policy gradients (book.rl.approx, dqn, envs,
policy) and the effects the three chapters claim, read from the numbers their executed pages
glued.

Glue keys read from the built book:
  rl/approximation: tiles_generalize_{near,far,n_features,n_tilings}, car_learns_{first,last10},
    car_optimism_{first_max,ratio}, cost_mound_{peak,peak_1,peak_12,position,velocity},
    cost_optimistic_{start,real}, random_car, and each claim's verdict under its own name.
  rl/dqn: random_cartpole, dqn_learns_{dqn,random,ratio},
    no_target_diverges_{values,dqn_values,bound,no_target,neither,always_right,above_from},
    replay_helps_{no_replay,ratio}, trainer_period_{values10,values50,return10,return50},
    and the verdicts.
  rl/policy_gradients: random_corridor, random_cartpole, corridor_optimum_{p,value,right,left,gap},
    baseline_unbiased_{exact,without,without_error,with_b,with_error},
    baseline_variance_{without,with_b,ratio}, corridor_converges_{best,reinforce,baseline,actor_critic},
    corridor_steadier_{reinforce,baseline,actor_critic}, cartpole_solved_{threshold,episodes,
    average,first_100,first_195,random}, and the verdicts.
"""
import math
import tomllib

import numpy as np
import pytest
import torch

from book.rl import approx, dqn, envs, policy
from built import glued
from conftest import ROOT

gym = pytest.importorskip("gymnasium")


# --- the environment package -----------------------------------------------------------------

def test_gymnasium_is_pinned_and_runs_the_classic_control_tasks():
    pins = [d for d in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
            if d.startswith("gymnasium")]
    assert pins == [f"gymnasium=={gym.__version__}"], "pyproject pins the installed gymnasium exactly"
    for env_id, n_actions in (("CartPole-v1", 2), ("MountainCar-v0", 3)):
        env = gym.make(env_id)          # no render mode: pygame is not needed
        env.reset(seed=0)
        for _ in range(5):
            env.step(env.action_space.sample())
        assert env.action_space.n == n_actions


def test_vectorized_mountain_car_equals_gymnasium_step_by_step():
    env = gym.make("MountainCar-v0", max_episode_steps=5000)
    env.reset(seed=3)
    position, velocity = (np.array([value]) for value in env.unwrapped.state)
    rng = np.random.default_rng(0)
    for _ in range(2000):
        action = int(rng.integers(3))
        env.step(action)
        position, velocity = envs.mountain_car_steps(position, velocity, np.array([action]))
        assert position[0] == env.unwrapped.state[0] and velocity[0] == env.unwrapped.state[1]


def test_vectorized_cartpole_equals_gymnasium_step_by_step():
    for n in (1, 6):
        reference = gym.make_vec("CartPole-v1", num_envs=n, vectorization_mode="vector_entry_point")
        carts = envs.cartpole_vector(n)
        assert np.array_equal(carts.reset(seed=3)[0], reference.reset(seed=3)[0])
        rng, ends = np.random.default_rng(0), 0
        for step in range(3000):
            if step == 1500:                    # a reset without a seed goes on with the generator
                assert np.array_equal(carts.reset()[0], reference.reset()[0])
            actions = rng.integers(2, size=n)
            ours, theirs = carts.step(actions)[:4], reference.step(actions)[:4]
            for mine, gyms in zip(ours, theirs):
                assert np.array_equal(mine, gyms) and mine.dtype == gyms.dtype, step
            ends += theirs[2].sum() + theirs[3].sum()
        assert ends > 50 * n                    # many episodes ended and restarted on the way


def test_random_mountain_car_needs_thousands_of_steps():
    assert envs.random_mountain_car_median(n_episodes=21, seed=1) > 5000


def test_short_corridor_switches_the_actions_in_its_second_state():
    env = envs.ShortCorridor()
    assert env.reset()[0] == 0
    assert env.step(0)[0] == 0                   # left at the wall stays
    assert env.step(1)[0] == 1                   # right moves right
    assert env.step(1)[0] == 0                   # ... except in state 1
    env.step(1)
    assert env.step(0)[0] == 2                   # left moves right in state 1
    state, reward, terminated, truncated, _ = env.step(1)
    assert (state, reward, terminated, truncated) == (3, -1.0, True, False)


# --- tile coding and semi-gradient SARSA ----------------------------------------------------

def test_tile_coder_has_one_active_tile_per_tiling():
    tiles = approx.TileCoder([-1.2, -0.07], [0.6, 0.07], n_tilings=8, tiles_per_dim=8)
    assert tiles.n_features == 8 * 9 * 9
    rng = np.random.default_rng(0)
    states = rng.uniform([-1.2, -0.07], [0.6, 0.07], size=(500, 2))
    states[:4] = [[-1.2, -0.07], [0.6, 0.07], [-1.2, 0.07], [0.6, -0.07]]   # the corners too
    active = tiles.active(states)
    assert active.shape == (500, 8)
    block = active // tiles.tiles_per_tiling           # each index lies in its own tiling's block
    assert np.array_equal(block, np.broadcast_to(np.arange(8), (500, 8)))
    assert active.min() >= 0 and active.max() < tiles.n_features
    assert np.array_equal(tiles.active(states[7]), active[7])
    x = tiles.features(states[7])
    assert x.sum() == 8 and set(np.flatnonzero(x)) == set(active[7])


def test_tile_coder_generalizes_locally():
    tiles = approx.TileCoder([0.0, 0.0], [1.0, 1.0], n_tilings=8, tiles_per_dim=4)
    s = np.array([0.41, 0.37])

    def shared(other):
        return len(np.intersect1d(tiles.active(s), tiles.active(other)))

    assert shared(s) == 8
    assert shared(s + [0.01, 0.0]) >= 6
    assert shared(s + [0.5, 0.5]) == 0
    tilings = [np.unique(tiles.active(np.c_[np.linspace(0, 1, 400), np.full(400, 0.5)])[:, i]).size
               for i in range(8)]
    assert all(4 <= n <= 5 for n in tilings)            # 4 tiles across, one more for the shift


def test_sarsa_update_moves_only_the_active_weights_of_the_action():
    agent = approx.SarsaAgent(n_features=20, n_actions=3, step_size=0.1)
    agent.weight[:] = np.random.default_rng(0).normal(size=(3, 20))
    before = agent.weight.copy()
    active, next_active = np.array([1, 5, 9]), np.array([2, 6, 10])
    expected_delta = -1 + before[2, next_active].sum() - before[0, active].sum()
    delta = agent.update(active, 0, -1.0, next_active, 2, terminated=False)
    assert delta == pytest.approx(expected_delta)
    changed = agent.weight != before
    assert changed[0, active].all() and changed.sum() == 3
    assert np.allclose(agent.weight[0, active] - before[0, active], 0.1 * expected_delta)
    assert agent.update(active, 1, -1.0, next_active, 0, terminated=True) == pytest.approx(
        -1 - before[1, active].sum())


def test_sarsa_learns_mountain_car_within_a_few_episodes():
    car = envs.mountain_car()
    tiles = approx.mountain_car_tiles(car)
    run = approx.run_sarsa(car, tiles, approx.SarsaAgent(tiles.n_features, 3, seed=0), 30, seed=0,
                           snapshots=(30,))
    assert run.steps[0] > 500 and run.steps[-5:].mean() < 400
    positions, velocities, cost = approx.cost_to_go(tiles, run.snapshots[30], car.observation_space.low,
                                                   car.observation_space.high, resolution=20)
    assert cost.shape == (20, 20) and cost.max() > 20


def test_sarsa_side_by_side_equals_sarsa_in_gymnasium():
    car = envs.mountain_car()
    tiles = approx.mountain_car_tiles(car)
    alone = [approx.run_sarsa(car, tiles, approx.SarsaAgent(tiles.n_features, 3, seed=k), 6, seed=100 * k,
                              snapshots=(2, 6)) for k in range(2)]
    agents = [approx.SarsaAgent(tiles.n_features, 3, seed=k) for k in range(2)]
    together = approx.run_sarsa_together(tiles, agents, 6, seeds=[0, 100], snapshots=(2, 6))
    for one, both in zip(alone, together):
        assert np.array_equal(one.steps, both.steps) and np.array_equal(one.agent.weight, both.agent.weight)
        assert all(np.array_equal(one.snapshots[e], both.snapshots[e]) for e in (2, 6))


# --- DQN --------------------------------------------------------------------------------------

def test_parallel_linear_is_k_independent_linear_layers():
    torch.manual_seed(0)
    layer = dqn.ParallelLinear(3, 4, 5)
    x = torch.randn(3, 7, 4)
    y = layer(x)
    for k in range(3):
        assert torch.allclose(y[k], torch.nn.functional.linear(x[k], layer.weight[k], layer.bias[k, 0]), atol=1e-6)
    y[1].sum().backward()
    assert layer.weight.grad[0].abs().sum() == 0 and layer.weight.grad[1].abs().sum() > 0


def test_replay_buffer_samples_only_the_last_capacity_transitions_of_each_agent():
    buffer = dqn.ReplayBuffer(n_agents=2, n_observations=1, capacity=[100, 4])
    for step in range(50):
        value = torch.full((2, 1), float(step))
        buffer.push(torch.arange(2), value, torch.tensor([step % 2, 1]), torch.tensor([1.0, 2.0]),
                    value + 1, torch.tensor([0.0, 1.0]))
    buffer.push(torch.tensor([0]), torch.full((1, 1), 50.0), torch.tensor([0]), torch.tensor([1.0]),
                torch.full((1, 1), 51.0), torch.tensor([0.0]))          # agent 1 had no real step
    assert buffer.size.tolist() == [51, 4]
    states, actions, rewards, next_states, terminated = buffer.sample(np.random.default_rng(0).random((2, 500)))
    assert states.shape == (2, 500, 1) and actions.shape == (2, 500) and actions.dtype == torch.long
    assert torch.equal(next_states, states + 1)
    assert set(states[0, :, 0].long().tolist()) == set(range(51))       # uniform over all it holds
    assert set(states[1, :, 0].long().tolist()) == {46, 47, 48, 49}     # the newest four only
    assert torch.equal(actions[0], states[0, :, 0].long() % 2)
    assert (rewards[1] == 2).all() and (terminated[1] == 1).all() and (terminated[0] == 0).all()


def test_ring_buffer_wraps_around():
    buffer = dqn.ReplayBuffer(n_agents=1, n_observations=1, capacity=8)
    for step in range(20):
        buffer.push(torch.tensor([0]), torch.full((1, 1), float(step)), torch.tensor([0]), torch.tensor([0.0]),
                    torch.full((1, 1), float(step)), torch.tensor([0.0]))
    states = buffer.sample(np.random.default_rng(1).random((1, 400)))[0]
    assert set(states.flatten().long().tolist()) == set(range(12, 20))


def test_target_networks_follow_their_own_period():
    agent = dqn.DQN(4, 2, n_agents=2, target_period=[1, 5], learning_starts=0, seed=0, device="cpu")
    for step in range(64):
        agent.buffer.push(torch.arange(2), torch.randn(2, 4), torch.tensor([0, 1]), torch.ones(2),
                          torch.randn(2, 4), torch.zeros(2))
    first = [p.detach().clone() for p in agent.target.parameters()]
    for update in range(1, 5):
        agent.steps += 1
        agent.update()
        for online, target, old in zip(agent.q.parameters(), agent.target.parameters(), first):
            assert torch.equal(target[0], online[0])         # period 1: the trained network itself
            assert torch.equal(target[1], old[1])            # period 5: still the first copy
    agent.update()
    assert all(torch.equal(t[1], o[1]) for o, t in zip(agent.q.parameters(), agent.target.parameters()))


def test_an_agent_in_lockstep_learns_what_it_learns_alone():
    """Each agent's random numbers are its own: trained beside others with other seeds and
    settings, it plays the same episodes and learns the same values as trained alone."""
    torch.set_num_threads(1)
    together = dqn.train_dqn(dqn.DQN(4, 2, n_agents=3, replay_capacity=[10_000, 32, 10_000],
                                     target_period=[50, 1, 10], seed=[5, 6, 7], device="cpu"), 1500)
    alone = dqn.train_dqn(dqn.DQN(4, 2, n_agents=1, replay_capacity=10_000, target_period=10,
                                  seed=7, device="cpu"), 1500)
    part = together.select([2])
    assert part.episode_returns == alone.episode_returns and len(alone.episode_returns[0]) > 20
    assert part.episode_ends == alone.episode_ends
    np.testing.assert_array_equal(part.value_curve(), alone.value_curve())
    np.testing.assert_array_equal(part.observations, alone.observations)


def test_carts_of_their_own_seeds_are_gymnasiums_one_cart_each():
    carts, rng = envs.cartpole_vector(3), np.random.default_rng(0)
    singles = [gym.make_vec("CartPole-v1", num_envs=1, vectorization_mode="vector_entry_point")
               for _ in range(3)]
    first = carts.reset(seed=[4, 9, 4])[0]
    assert np.array_equal(first, np.concatenate([one.reset(seed=s)[0] for one, s in zip(singles, (4, 9, 4))]))
    assert np.array_equal(first[0], first[2]) and not np.array_equal(first[0], first[1])
    ends = 0
    for step in range(2000):
        actions = rng.integers(2, size=3)
        ours = carts.step(actions)[:4]
        theirs = [one.step(actions[k:k + 1])[:4] for k, one in enumerate(singles)]
        for i in range(4):
            assert np.array_equal(ours[i], np.concatenate([t[i] for t in theirs])), step
        ends += ours[2].sum()
    assert ends > 100


def test_a_short_dqn_run_beats_the_random_policy():
    torch.set_num_threads(1)
    random = envs.episode_returns(envs.cartpole(), 50, seed=0).mean()
    agent = dqn.DQN(4, 2, n_agents=2, seed=[1, 2], device="cpu")
    run = dqn.train_dqn(agent, n_steps=4000)
    _, curves = run.return_curve(window=500)
    assert curves[:, -2:].mean() > 2 * random
    assert run.value_curve().shape == (agent.updates, 2)


# --- policy gradients -------------------------------------------------------------------------

def test_corridor_optimum_is_two_minus_root_two():
    p = np.linspace(0.01, 0.99, 9801)
    J = policy.corridor_objective(p)
    assert p[J.argmax()] == pytest.approx(policy.BEST_P_RIGHT, abs=1e-4)
    assert policy.BEST_P_RIGHT == pytest.approx(0.586, abs=1e-3)
    assert policy.corridor_objective(policy.BEST_P_RIGHT) == pytest.approx(-(6 + 4 * math.sqrt(2)))
    for q in (0.05, 0.3, 0.5, policy.BEST_P_RIGHT, 0.95):
        assert policy.corridor_values(q)[0] == pytest.approx(policy.corridor_objective(q))
    assert policy.corridor_objective(0.95) == pytest.approx(-44.2, abs=0.1)     # Sutton and Barto's
    assert policy.corridor_objective(0.05) == pytest.approx(-82.1, abs=0.1)     # epsilon-greedy values


def test_corridor_values_match_simulated_returns():
    run = policy.run_corridor(policy.Reinforce(step_size=0.0, theta=policy.logit(0.3), seed=0), 6000)
    assert np.allclose(run.p_right, 0.3)
    error = run.returns.std() / np.sqrt(len(run.returns))
    assert abs(run.returns.mean() - policy.corridor_objective(0.3)) < 4 * error


def test_log_policy_and_corridor_gradients_match_finite_differences():
    h = 1e-6
    for theta in (-2.0, -0.3, 0.0, 1.7):
        for action in (0, 1):
            def log_pi(t):
                p = policy.sigmoid(t)
                return math.log(p if action == 1 else 1 - p)
            numeric = (log_pi(theta + h) - log_pi(theta - h)) / (2 * h)
            assert policy.grad_log_policy(theta, action) == pytest.approx(numeric, abs=1e-6)
        numeric = (policy.corridor_objective(policy.sigmoid(theta + h))
                   - policy.corridor_objective(policy.sigmoid(theta - h))) / (2 * h)
        assert policy.corridor_gradient(theta) == pytest.approx(numeric, rel=1e-5)


def test_baseline_keeps_the_gradient_and_lowers_its_variance():
    theta = policy.logit(0.4)
    exact = policy.corridor_gradient(theta)
    without = policy.corridor_gradient_samples(theta, 3000, seed=5)
    with_b = policy.corridor_gradient_samples(theta, 3000, policy.corridor_values(0.4), seed=6)
    for samples in (without, with_b):
        assert abs(samples.mean() - exact) < 4 * samples.std() / np.sqrt(len(samples))
    assert with_b.var() < without.var() / 1.5


def test_reinforce_update_climbs_the_return():
    agent = policy.Reinforce(step_size=0.1, theta=0.0)
    agent.learn([(0, 1, -1.0)])                     # right, then the episode ended with -1
    assert agent.theta == pytest.approx(-0.05)
    agent = policy.Reinforce(step_size=1.0, theta=0.0, gamma=0.5)
    agent.learn([(0, 0, -1.0), (0, 1, -1.0)])
    assert agent.theta == pytest.approx(0.5)        # 0.75 - 0.25: the returns and gamma ** t


@pytest.mark.parametrize("make", [
    lambda seed: policy.Reinforce(step_size=2 ** -9, baseline_step=2 ** -6, seed=seed),
    lambda seed: policy.ActorCritic(step_size=2 ** -9, critic_step=2 ** -4, seed=seed)])
def test_corridor_learners_end_near_the_best_stochastic_policy(make):
    late = [policy.run_corridor(make(seed), 800).p_right[-200:].mean() for seed in range(4)]
    assert abs(np.mean(late) - policy.BEST_P_RIGHT) < 0.05


def test_uniforms_drawn_in_blocks_are_the_numbers_drawn_one_by_one():
    rng = np.random.default_rng(4)
    draws = policy.uniforms(np.random.default_rng(4), block=7)
    assert [next(draws) for _ in range(30)] == [rng.random() for _ in range(30)]


def test_act_runs_the_exponential_race_of_the_policy_network():
    """act (numpy, the races drawn ahead) picks what torch's softmax and a race drawn at each
    call from a generator seeded alike pick, call after call."""
    agent = policy.ReinforceAgent(seed=3, device="cpu")
    generator = torch.Generator().manual_seed(3)
    for observations in np.random.default_rng(0).normal(size=(5, 700, 4)).astype(np.float32):
        with torch.no_grad():
            probabilities = torch.softmax(agent.policy(torch.from_numpy(observations)), -1)
        race = torch.empty_like(probabilities).exponential_(1, generator=generator)
        np.testing.assert_array_equal(agent.act(observations), torch.argmax(probabilities / race, -1).numpy())


def test_masked_returns_stop_at_the_end_of_each_episode():
    agent = policy.ReinforceAgent(gamma=0.5, device="cpu")
    rewards = torch.tensor([[1.0, 1.0], [1.0, 0.0], [1.0, 0.0]])
    mask = torch.tensor([[1.0, 1.0], [1.0, 0.0], [1.0, 0.0]])
    assert torch.allclose(agent.returns(rewards, mask), torch.tensor([[1.75, 1.0], [1.5, 0.0], [1.0, 0.0]]))


def test_play_episodes_masks_the_steps_after_each_end():
    agent = policy.ReinforceAgent(seed=0, device="cpu")
    vector = envs.cartpole_vector(5)
    vector.reset(seed=0)
    observations, actions, rewards, mask = policy.play_episodes(agent, vector)
    assert observations.shape == (len(mask), 5, 4) and actions.shape == mask.shape == rewards.shape
    lengths = mask.sum(0)
    assert torch.equal(rewards.sum(0), lengths)                 # +1 for every real step
    assert torch.equal(mask[-1], (lengths == len(mask)).float())
    assert (mask[1:] <= mask[:-1]).all()                        # once ended, ended


def test_a_short_reinforce_run_beats_the_random_policy():
    torch.set_num_threads(1)
    random = envs.episode_returns(envs.cartpole(), 50, seed=0).mean()
    agent = policy.ReinforceAgent(lr=2e-2, value_lr=3e-2, seed=0, device="cpu")
    result = policy.train_reinforce(agent, n_episodes=240, seed=0)
    assert len(result.returns) == 240 and result.solved_at == -1
    assert result.returns[-50:].mean() > 3 * random


@pytest.mark.gpu
def test_dqn_and_reinforce_run_on_the_gpu():
    agent = dqn.DQN(4, 2, n_agents=3, learning_starts=50, seed=0, device=torch.device("cuda"))
    run = dqn.train_dqn(agent, n_steps=200)
    assert next(agent.q.parameters()).is_cuda and agent.buffer.rows.is_cuda
    assert len(run.value_curve()) == agent.updates > 0
    reinforce = policy.ReinforceAgent(seed=0, device=torch.device("cuda"))
    result = policy.train_reinforce(reinforce, n_episodes=16, seed=0)
    assert next(reinforce.policy.parameters()).is_cuda and len(result.returns) == 16


# --- the chapters' effects, from the built book ----------------------------------------------

def test_tile_coding_sarsa_solves_mountain_car(built_book):
    g = glued(built_book, "rl/approximation")
    assert g["tiles_generalize_near"] >= 4 and g["tiles_generalize_far"] == 0
    assert g["car_learns_first"] > 1000 and g["car_learns_last10"] < 200       # S&B Fig. 10.2
    assert g["random_car"] > 10_000 and g["car_optimism_ratio"] > 5
    assert g["cost_mound_peak_1"] < g["cost_mound_peak_12"] < g["cost_mound_peak"]
    assert abs(g["cost_mound_velocity"]) < 0.01 and g["cost_optimistic_start"] < g["cost_optimistic_real"]
    for verdict in ("tiles_generalize", "car_learns", "car_optimism", "cost_mound", "cost_optimistic"):
        assert g[verdict] is True


def test_dqn_needs_both_ingredients(built_book):
    g = glued(built_book, "rl/dqn")
    assert 15 < g["random_cartpole"] < 30
    assert g["dqn_learns_dqn"] > 2.5 * g["random_cartpole"]
    bound = g["no_target_diverges_bound"]
    assert bound == pytest.approx(100)
    assert g["no_target_diverges_values"] > 100 * bound > 100 * g["no_target_diverges_dqn_values"]
    assert g["no_target_diverges_no_target"] < g["random_cartpole"]
    assert g["no_target_diverges_above_from"] < 1000
    assert g["dqn_learns_dqn"] > 3 * g["replay_helps_no_replay"]
    # the trainer's figure, from the page's run: a target copied every 10 updates does not hold,
    # every 50 does
    assert g["trainer_period_values10"] > 100 * bound > bound > g["trainer_period_values50"]
    assert g["trainer_period_return10"] < g["random_cartpole"] * 2 < g["trainer_period_return50"]
    for verdict in ("dqn_learns", "no_target_diverges", "replay_helps", "trainer_period"):
        assert g[verdict] is True


def test_policy_gradients_find_the_stochastic_optimum_and_solve_cartpole(built_book):
    g = glued(built_book, "rl/policy_gradients")
    assert g["corridor_optimum_p"] == pytest.approx(2 - math.sqrt(2))
    assert g["corridor_optimum_value"] == pytest.approx(-11.657, abs=1e-3)
    assert g["corridor_optimum_right"] < g["corridor_optimum_value"] - 30
    assert g["random_corridor"] == pytest.approx(-12, abs=0.5)
    assert abs(g["baseline_unbiased_without"] - g["baseline_unbiased_exact"]) < 3 * g["baseline_unbiased_without_error"]
    assert abs(g["baseline_unbiased_with_b"] - g["baseline_unbiased_exact"]) < 3 * g["baseline_unbiased_with_error"]
    assert g["baseline_variance_ratio"] > 1.5
    assert g["corridor_converges_baseline"] == pytest.approx(0.586, abs=0.03)
    assert g["corridor_converges_actor_critic"] == pytest.approx(0.586, abs=0.03)
    assert g["corridor_steadier_reinforce"] > g["corridor_steadier_baseline"] > g["corridor_steadier_actor_critic"]
    assert g["cartpole_solved_threshold"] == 475 and g["cartpole_solved_episodes"] > 0
    assert g["cartpole_solved_average"] >= 475 > 20 * g["cartpole_solved_random"]
    assert 0 < g["cartpole_solved_first_195"] <= g["cartpole_solved_episodes"]
    for verdict in ("corridor_optimum", "baseline_unbiased", "baseline_variance", "corridor_converges",
                    "corridor_steadier", "cartpole_solved"):
        assert g[verdict] is True
