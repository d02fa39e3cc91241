"""Widgets driven headless: set values, let the asyncio task run, read the figure."""
import asyncio

import numpy as np
import pytest

from book.data import load_digits
from book.widgets import TSNEExplorer
from book.widgets.tsne_explorer import validate


@pytest.mark.parametrize("perplexity,n_samples,ok", [(30, 300, True), (1, 300, False),
                                                     (40, 100, False), (5, 20, False)])
def test_validate(perplexity, n_samples, ok):
    assert (validate(perplexity, n_samples) is None) == ok


def test_tsne_explorer_refuses_then_embeds_deterministically():
    X, y = load_digits()

    async def drive():
        explorer = TSNEExplorer(X, y, perplexity=10, n_samples=100)
        explorer.perplexity.value = 40          # 40 >= 100 / 3: refused, with a message
        assert "refused" in explorer.status.value
        assert all(len(trace.x) == 0 for trace in explorer.figure.data)
        explorer.perplexity.value = 12
        await explorer._task
        first = np.concatenate([np.asarray(trace.x) for trace in explorer.figure.data])
        assert len(first) == 100 and np.isfinite(first).all()
        assert "done" in explorer.status.value
        explorer.perplexity.value = 11          # a newer request cancels an older one
        explorer.perplexity.value = 12
        await explorer._task
        again = np.concatenate([np.asarray(trace.x) for trace in explorer.figure.data])
        assert np.array_equal(first, again), "same seed and values, same embedding"

    asyncio.run(drive())


def run(coroutine):
    return asyncio.run(coroutine)


async def stops_when_asked(widget, steps):
    """Start a long run, try a second Train, press Stop: the run ends, a message says where."""
    widget.steps.value = steps
    task = widget.train()
    await asyncio.sleep(0.3)
    assert widget.train() is task and "already training" in widget.status.value
    widget.stop()
    await task
    assert "stopped at step" in widget.status.value


def test_gradient_flow_explorer_trains_and_draws_finite_values():
    from book.widgets import GradientFlowExplorer

    async def drive():
        explorer = GradientFlowExplorer(steps=25, length=20, hidden_size=16)
        await explorer.train()
        loss = np.asarray(explorer.loss_figure.data[0].y)
        heat = np.asarray(explorer.heatmap.data[0].z, dtype=float)
        now = np.asarray(explorer.norm_figure.data[0].y)
        assert len(loss) == 25 and np.isfinite(loss).all()
        assert heat.shape == (20, 25) and np.isfinite(heat).all()
        assert len(now) == 20 and (now > 0).all()
        assert "done: 25 steps on cpu" in explorer.status.value
        assert any(word in explorer.status.value for word in ("Healthy", "Vanishing", "Exploding"))
        return loss

    first, again = run(drive()), run(drive())
    assert np.array_equal(first, again), "same seed, same curves"


def test_gradient_flow_explorer_reports_divergence_and_stays_usable():
    from book.widgets import GradientFlowExplorer

    async def drive():
        explorer = GradientFlowExplorer(steps=50, length=20, gain=3.0, learning_rate=50.0)
        await explorer.train()
        assert "diverged at step" in explorer.status.value
        explorer.learning_rate.value, explorer.gain.value = 0.01, 1.0
        await explorer.train()
        assert "done: 50 steps" in explorer.status.value

    run(drive())


def test_gradient_flow_explorer_refuses_invalid_values_and_a_second_run():
    from book.widgets import GradientFlowExplorer

    async def drive():
        explorer = GradientFlowExplorer(steps=3000, length=20)
        for control, value in ((explorer.learning_rate, -1.0), (explorer.length, 100000),
                               (explorer.gain, 0.0), (explorer.hidden_size, 1)):
            old = control.value
            control.value = value
            assert explorer.train() is None
            assert "refused" in explorer.status.value
            control.value = old
        await stops_when_asked(explorer, 3000)
        assert len(explorer.loss_figure.data[0].y) < 3000

    run(drive())


def test_gradient_flow_explorer_sweeps_gains_as_one_batched_model():
    from book.rnn.train import decay_rate
    from book.widgets import GradientFlowExplorer

    async def drive():
        explorer = GradientFlowExplorer(steps=10, length=30, init="gaussian")
        explorer.sweep.value = True
        trainer = await explorer.train()
        assert trainer.n_models == 8 and len(explorer.norm_figure.data) == 8
        first_step = np.asarray(trainer.history.grad_norms[0])      # (T, 8)
        slopes = decay_rate(first_step)             # norms flushed to 0 are left out of the fit
        assert slopes[0] < slopes[-1], "small gains lose gradient faster going back in time"
        assert "gain 0.25: vanishing" in explorer.status.value

    run(drive())


def test_clipping_explorer_bounds_the_clipped_steps_and_refuses_bad_values():
    from book.widgets import ClippingExplorer

    async def drive():
        explorer = ClippingExplorer(learning_rate=0.3, clip=1.0, w=11.0, b=-0.5, steps=30)
        run = await explorer.train()
        free = np.array(run.paths["no clipping"])
        clipped = np.array(run.paths["clipped at 1"])
        assert len(free) == len(clipped) == 31
        assert np.linalg.norm(np.diff(clipped, axis=0), axis=1).max() <= 0.3 + 1e-9
        assert np.linalg.norm(np.diff(free, axis=0), axis=1).max() > 3
        assert np.array_equal(np.asarray(explorer.surface.data[2].x), clipped[:, 0])
        explorer.clip.value = -1.0
        assert explorer.train() is None and "refused" in explorer.status.value

    run(drive())


def test_gated_race_trains_all_contenders_on_equal_budgets():
    from book.rnn.train import hidden_for_budget
    from book.widgets import GatedRace

    async def drive():
        race = GatedRace(length=10, steps=15, budget=1500)
        trainers = await race.train()
        assert list(trainers) == ["tanh RNN", "GRU", "LSTM", "LSTM, chrono init"]
        sizes = [sum(p.numel() for p in t.model.parameters()) for t in trainers.values()]
        assert max(sizes) / min(sizes) < 1.15, sizes
        assert all(len(trace.y) > 0 and np.isfinite(trace.y).all() for trace in race.figure.data)
        assert "final relative loss" in race.status.value
        assert hidden_for_budget("lstm", 2, 1, 1500) < hidden_for_budget("rnn", 2, 1, 1500)

    run(drive())


def test_playground_trains_redraws_and_stops():
    from book.widgets import Playground

    async def drive():
        playground = Playground(dataset="moons", steps=400, seed=1)
        start = np.asarray(playground.boundary.data[0].z) if playground.boundary.data else None
        run_ = await playground.train()
        z = np.asarray(playground.boundary.data[0].z, dtype=float)
        assert start is None and z.shape == (60, 60) and np.isfinite(z).all()
        assert z.min() < 0.1 and z.max() > 0.9, "the boundary separates the classes"
        assert run_.accuracy("test") > 0.9
        assert playground.frames >= 2
        assert "held-out accuracy" in playground.status.value
        playground.width.value = 0
        assert playground.train() is None and "refused" in playground.status.value
        playground.width.value = 16
        await stops_when_asked(playground, 20000)

    run(drive())


def test_optimizer_race_draws_paths_survives_divergence_and_stops():
    from book.widgets import OptimizerRace

    async def drive():
        race_widget = OptimizerRace(surface="ravine", steps=60)
        race = await race_widget.train()
        paths = race_widget.paths.data[1:5]
        assert [trace.name for trace in paths] == ["sgd", "momentum", "rmsprop", "adam"]
        for trace in paths:
            assert len(trace.x) == 61 and np.isfinite(np.asarray(trace.x, dtype=float)).all()
        assert race.losses["adam"][-1] < race.losses["adam"][0]
        assert "final loss: sgd" in race_widget.status.value
        first = [list(trace.x) for trace in paths]

        race_widget.rates["sgd"].value = 1.0                     # SGD alone blows up
        race_widget.steps.value = 200
        race = await race_widget.train()
        assert race.diverged["sgd"] is not None and race.diverged["adam"] is None
        assert race_widget.paths.data[1].name.startswith("sgd (diverged at step")
        assert "sgd diverged at step" in race_widget.status.value
        assert len(race_widget.paths.data[4].x) == 201          # the others finished the race

        race_widget.surface.value = "rosenbrock"
        assert race_widget.rates["adam"].value == 0.1, "a new surface resets the rates"
        for name in race_widget.rates:                           # Adam's step is at most lr per
            race_widget.rates[name].value = 9.0                  # coordinate: it cannot blow up
        race = await race_widget.train()
        assert [race.diverged[name] is None for name in race.diverged] == [False, False, True, True]

        race_widget.rates["sgd"].value = -1.0
        assert race_widget.train() is None and "refused" in race_widget.status.value

        race_widget.surface.value = "ravine"
        race_widget.steps.value = 60
        await race_widget.train()
        assert [list(trace.x) for trace in race_widget.paths.data[1:5]] == first, "same settings, same paths"
        await stops_when_asked(race_widget, 20000)

    run(drive())
