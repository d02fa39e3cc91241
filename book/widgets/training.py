"""What every training widget shares: validated controls, Train/Stop, a non-blocking loop.

The loop runs as an asyncio task on the kernel's event loop. It yields after every training
step, so Stop clicks and slider events are handled mid-run; it redraws at most every
``redraw_seconds`` inside one batched figure update; it ends on Stop, on divergence (with a
visible "diverged at step k") or on the last step, and the widget stays usable afterwards.
Subclasses say how to read the controls, build a trainer, take a step and draw.
"""
import asyncio
import time

import ipywidgets as widgets
import plotly.graph_objects as go


STYLE = {"description_width": "110px"}


def number(value, label):
    """A text box for a float (FloatText) or an int (IntText); values are checked on Train."""
    box = widgets.FloatText if isinstance(value, float) else widgets.IntText
    return box(value, description=label, style=STYLE)


def choice(options, value, label):
    return widgets.Dropdown(options=list(options), value=value, description=label, style=STYLE)


def figure(title, xaxis="", yaxis="", height=260, width=560, log_y=False):
    """An empty live figure with the widgets' common layout."""
    fig = go.FigureWidget(layout=dict(title=title, height=height, width=width,
                                      template="plotly_white", margin=dict(l=60, r=10, t=40, b=40),
                                      xaxis_title=xaxis, yaxis_title=yaxis))
    if log_y:
        fig.update_yaxes(type="log")
    return fig


class Refused(ValueError):
    """A control holds a value the model cannot survive; the message says why."""


def check_range(name, value, low, high):
    if not low <= value <= high:
        raise Refused(f"{name} = {value} refused: choose a value between {low} and {high}")
    return value


class TrainingWidget:
    redraw_seconds = 0.08      # with a step and a draw on top: 10-12 frames per second

    def __init__(self, controls, figures):
        self.train_button = widgets.Button(description="Train", button_style="success", icon="play")
        self.stop_button = widgets.Button(description="Stop", button_style="danger", icon="stop")
        self.status = widgets.HTML()
        self.train_button.on_click(lambda _: self.train())
        self.stop_button.on_click(lambda _: self.stop())
        left = widgets.VBox([*controls, widgets.HBox([self.train_button, self.stop_button])],
                            layout=widgets.Layout(min_width="330px"))
        self.widget = widgets.VBox([widgets.HBox([left, widgets.VBox(figures)]), self.status])
        self._task = None
        self._stop = False
        self.first_draw_seconds = None

    # ----------------------------------------------------------- subclass hooks
    def settings(self):
        """Read and validate the controls; raise Refused with a message."""
        raise NotImplementedError

    def make_run(self, settings):
        """Return (run object, number of steps, device description)."""
        raise NotImplementedError

    def step(self, run):
        """Advance one step; return a message if the run diverged, else None."""
        raise NotImplementedError

    def draw(self, run):
        """Update the figures (called inside batched updates)."""
        raise NotImplementedError

    # ----------------------------------------------------------- behaviour
    def _ipython_display_(self):
        from IPython.display import display
        display(self.widget)

    def say(self, text, error=False):
        colour = "#b00020" if error else "#333"
        self.status.value = f"<span style='color:{colour}'>{text}</span>"

    @property
    def running(self):
        return self._task is not None and not self._task.done()

    def train(self):
        """Start a run (returns its asyncio task), or refuse with a message."""
        if self.running:
            self.say("already training: press Stop first", error=True)
            return self._task
        try:
            settings = self.settings()
        except Refused as refusal:
            self.say(str(refusal), error=True)
            return None
        self._stop = False
        self._task = asyncio.ensure_future(self._loop(settings))
        return self._task

    def stop(self):
        self._stop = True

    async def _loop(self, settings):
        started = time.perf_counter()
        run, n_steps, where = self.make_run(settings)
        last_draw, outcome = 0.0, None
        for step in range(1, n_steps + 1):
            if self._stop:
                outcome = f"stopped at step {step - 1}/{n_steps}"
                break
            problem = self.step(run)
            if problem:
                outcome = problem
                break
            now = time.perf_counter()
            if now - last_draw >= self.redraw_seconds:
                self._redraw(run)
                if self.first_draw_seconds is None:
                    self.first_draw_seconds = time.perf_counter() - started
                last_draw = now
                self.say(f"training on {where}: step {step}/{n_steps}")
            await asyncio.sleep(0)             # let Stop and other events through
        self._redraw(run)
        self.say(outcome or f"done: {n_steps} steps on {where}. {self.summary(run)}",
                 error=bool(outcome and "diverged" in outcome))
        return run

    def _redraw(self, run):
        self.draw(run)

    def summary(self, run):
        return ""
