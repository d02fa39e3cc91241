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
