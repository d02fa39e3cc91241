"""What the widget benchmarks share: a widget trained headless at a given redraw throttle, and
the table of milliseconds per step, steps per second and frames per second against a baseline."""
import asyncio
import time


def widget_run(widget_class, steps, redraw_seconds):
    """Seconds and redraws of one run of ``widget_class(steps=steps)``, its figures updated and
    serialized (nothing renders them), a redraw at most every ``redraw_seconds``."""
    widget = widget_class(steps=steps)
    widget.redraw_seconds = redraw_seconds

    async def go():
        start = time.perf_counter()
        await widget.train()
        return time.perf_counter() - start
    seconds = asyncio.run(go())
    return seconds, widget.frames


def widget_rows(widget_class, steps, name):
    """The rows of ``widget_class`` as shipped and redrawn after every step."""
    rows = []
    for label, redraw in ((f"{name} as shipped ({1000 * widget_class.redraw_seconds:.0f} ms throttle)",
                           widget_class.redraw_seconds), (f"{name}, redraw every step", 0.0)):
        rows.append((label, *widget_run(widget_class, steps, redraw)))
    return rows


def print_table(rows, steps):
    """``rows``: (name, seconds, redraws or None); the first is the baseline."""
    baseline = rows[0][1]
    print(f"{'':<38}{'ms/step':>9}{'steps/s':>9}{'vs base':>9}{'frames/s':>10}")
    for name, seconds, frames in rows:
        fps = f"{frames / seconds:10.1f}" if frames else f"{'':>10}"
        print(f"{name:<38}{1000 * seconds / steps:9.2f}{steps / seconds:9.0f}"
              f"{seconds / baseline:8.2f}x{fps}")
