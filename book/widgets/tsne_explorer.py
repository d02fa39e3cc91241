"""Re-embed a subsample with t-SNE whenever the perplexity (or sample size) changes.

Controls on the left, the embedding on the right, a status line underneath. The embedding
runs in a worker thread awaited by an asyncio task, so the kernel stays responsive; a newer
request supersedes an older one, and invalid combinations are refused with a message.
"""
import asyncio

import ipywidgets as widgets
import numpy as np
import plotly.graph_objects as go

from ..classical import tsne
from ..plots import PALETTE
from .figure_widget import FigureWidget


def validate(perplexity, n_samples):
    """Return an error message, or None when t-SNE can run with these values."""
    if not 2 <= perplexity <= 100:
        return f"perplexity {perplexity} refused: choose a value between 2 and 100"
    if not 50 <= n_samples <= 1000:
        return f"sample size {n_samples} refused: choose between 50 and 1000 points"
    if perplexity >= n_samples / 3:
        return (f"perplexity {perplexity} refused: it must stay below a third of the "
                f"sample size ({n_samples} points allow at most {n_samples // 3 - 1})")
    return None


class TSNEExplorer:
    def __init__(self, X, y, perplexity=30, n_samples=300, seed=0):
        self.X, self.y, self.seed = np.asarray(X), np.asarray(y), seed
        self.perplexity = widgets.IntSlider(perplexity, 2, 100, description="perplexity",
                                            continuous_update=False)
        self.n_samples = widgets.IntSlider(n_samples, 50, 1000, step=50, description="points",
                                           continuous_update=False)
        self.status = widgets.HTML()
        classes = np.unique(self.y)
        self.figure = FigureWidget(
            [go.Scatter(x=[], y=[], mode="markers", name=f"digit {c}",
                        marker=dict(size=5, color=PALETTE[i % len(PALETTE)]))
             for i, c in enumerate(classes)],
            layout=dict(height=450, width=560, template="plotly_white",
                        title="t-SNE embedding", margin=dict(l=40, r=10, t=40, b=40)))
        self._classes = classes
        self._task = None
        self.perplexity.observe(self._on_change, names="value")
        self.n_samples.observe(self._on_change, names="value")
        self.widget = widgets.VBox([widgets.HBox([widgets.VBox([self.perplexity, self.n_samples]),
                                                  self.figure]), self.status])

    def _ipython_display_(self):
        from IPython.display import display
        display(self.widget)
        self.refresh()

    def _on_change(self, _change):
        self.refresh()

    def refresh(self):
        """Start (or restart) an embedding for the current values; returns the task or None."""
        error = validate(self.perplexity.value, self.n_samples.value)
        if error:
            self.status.value = f"<b style='color:#b00'>{error}</b>"
            return None
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self._task = asyncio.ensure_future(self._embed(self.perplexity.value, self.n_samples.value))
        return self._task

    def compute(self, perplexity, n_samples):
        """The embedding for these values (the same subsample for the same seed)."""
        idx = np.random.default_rng(self.seed).permutation(len(self.X))[:n_samples]
        return tsne.embed(self.X[idx], perplexity=perplexity, seed=self.seed), self.y[idx]

    async def _embed(self, perplexity, n_samples):
        self.status.value = f"embedding {n_samples} points at perplexity {perplexity} on the cpu ..."
        loop = asyncio.get_running_loop()
        try:
            Z, labels = await loop.run_in_executor(None, self.compute, perplexity, n_samples)
        except asyncio.CancelledError:
            return
        with self.figure.batch_update():
            for trace, c in zip(self.figure.data, self._classes):
                keep = labels == c
                trace.x, trace.y = Z[keep, 0], Z[keep, 1]
        self.status.value = f"perplexity {perplexity}, {n_samples} points: done"
