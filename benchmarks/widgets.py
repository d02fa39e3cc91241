"""The training widgets in a real kernel, driven as a browser would drive them.

    python benchmarks/widgets.py [--window 2.5] [--only GatedRace,Playground] [--quick]

A kernel is started with jupyter_client. For every widget, at its default settings and at each
of its heaviest allowed settings (``cls.HEAVIEST``), the benchmark creates it in the kernel,
clicks Train by sending the comm message a browser sends, reads everything the kernel sends
back on iopub, clicks Stop ``--window`` seconds after the first plot update, and waits for the
status line to say so. Measured from outside the kernel:

    first update   from the Train click to the first redraw (status "step k/n" after a draw)
    redraws/s      plot updates (one per figure per redraw) between the first update and Stop
    kB/s           bytes of the widget's comm messages on iopub (JSON + binary buffers) over
                   the same window, and the largest single redraw
    Stop           from the Stop click to the status message "stopped at step", by the two
                   messages' own send times (their headers' dates, stamped by this process
                   and by the kernel): a slow reader here does not lengthen it ("ran out"
                   when the run ended before Stop was pressed)
    steps          training steps done when the run ended

Every configuration runs on the machine as it is, with one core kept busy by a spinning
process ("+1 busy"), and on a simulated slow machine ("a fifth": the kernel pinned to one core
beside four busy competitors, ``tests/throttle.py``, its share measured), as ``--loads`` lists
them (``--quick``: the default settings and one heaviest setting per widget).
No browser is attached: redraws are not slowed by a browser's answers here (the widgets wait
for a browser that answers; see book/widgets/training.py).
"""
import argparse
import contextlib
import json
import os
import re
import statistics
import subprocess
import sys
import time

from jupyter_client.manager import start_new_kernel

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
from throttle import slowed  # noqa: E402  (the suite's simulated slow machine)

SETUP = r"""
import json
import book.widgets as _widgets
_current = None
def _make(name, settings):
    global _current
    if _current is not None:
        _current.widget.close_all()
    _current = getattr(_widgets, name)(**settings)
    print(json.dumps(dict(train=_current.train_button.model_id, stop=_current.stop_button.model_id,
                          status=_current.status.model_id,
                          figures=[f.model_id for f in _current.figures])))
print(json.dumps({name: getattr(_widgets, name).HEAVIEST for name in %r}))
"""
WIDGETS = ("GradientFlowExplorer", "ClippingExplorer", "GatedRace", "OptimizerRace", "Playground",
           "BanditLab", "CliffExplorer", "CartPoleTrainer", "GridworldPlanner",
           "DQNTrainer", "GANArena", "VAEExplorer", "MemoryDistanceExplorer")


class Kernel:
    def __init__(self):
        env = dict(os.environ, COURSE_DEVICE=os.environ.get("COURSE_DEVICE", "cpu"))
        self.manager, self.client = start_new_kernel(kernel_name="python3", env=env)

    def execute(self, code, timeout=300):
        """Run code; return its printed output (comm messages meanwhile are dropped)."""
        msg_id = self.client.execute(code)
        out = []
        while True:
            msg = self.client.get_iopub_msg(timeout=timeout)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind = msg["msg_type"]
            if kind == "stream":
                out.append(msg["content"]["text"])
            elif kind == "error":
                raise RuntimeError("\n".join(msg["content"]["traceback"]))
            elif kind == "status" and msg["content"]["execution_state"] == "idle":
                return "".join(out)

    def click(self, model_id):
        """Send the comm message a browser sends for a click; return its send time (its date)."""
        msg = self.client.session.msg("comm_msg", {"comm_id": model_id, "data": {
            "method": "custom", "content": {"event": "click"}}})
        self.client.shell_channel.send(msg)
        return msg["header"]["date"]

    def drain(self):
        while True:
            try:
                self.client.get_iopub_msg(timeout=0.05)
            except Exception:
                return

    def close(self):
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)


def size(msg):
    return len(json.dumps(msg["content"])) + sum(memoryview(b).nbytes for b in msg.get("buffers") or [])


def measure(kernel, name, settings, window, limit=120, building=contextlib.nullcontext):
    """One run: Train, Stop ``window`` s after the first update; the numbers of the table. The
    widget is made inside ``building()`` (e.g. a simulated slow machine's competitors paused)."""
    with building():
        ids = json.loads(kernel.execute(f"_make({name!r}, {settings!r})").strip().splitlines()[-1])
    kernel.drain()
    figures, mine = set(ids["figures"]), {ids["status"], *ids["figures"]}
    clicked = time.perf_counter()
    kernel.click(ids["train"])
    first = stop_at = stop_sent = stopped = ended = None
    updates = {f: 0 for f in figures}
    window_bytes, redraw_bytes, pending, status = 0, [], 0, ""
    while time.perf_counter() - clicked < limit:
        now = time.perf_counter()
        if stop_at is None and (first and now - first >= window or now - clicked > limit / 2):
            stop_sent = kernel.click(ids["stop"])
            stop_at = time.perf_counter()
        try:
            msg = kernel.client.get_iopub_msg(timeout=0.005)
        except Exception:
            continue
        arrived = time.perf_counter()
        content = msg["content"]
        if msg["msg_type"] != "comm_msg" or content.get("comm_id") not in mine:
            continue
        state = content["data"].get("state", {})
        nbytes = size(msg)
        if first is not None and stop_at is None:
            window_bytes += nbytes
        if content["comm_id"] in figures:
            pending += nbytes
            if any(state.get(k) for k in ("_py2js_update", "_py2js_restyle")) and \
                    first is not None and stop_at is None:
                updates[content["comm_id"]] += 1
        elif "value" in state:
            status = re.sub("<[^>]+>", "", state["value"])
            if re.search(r"[—:] step 0/\d+$", status):
                pending = 0                                # building the run, not a redraw
            elif pending:
                redraw_bytes.append(pending)
                pending = 0
            if first is None and re.search(r"[—:] step [1-9]\d*/\d+$", status):
                first = arrived
            if stop_at is not None and "stopped at step" in status:
                stopped = (msg["header"]["date"] - stop_sent).total_seconds()
                break
            if status.startswith(("done", "diverged", "error")):
                ended = arrived
                break
    span = ((stop_at or ended or time.perf_counter()) - first) if first else None
    return dict(
        first=(first - clicked) if first else None,
        redraws=(max(updates.values()) / span) if span else None,
        kbps=(window_bytes / span / 1000) if span else None,
        largest=max(redraw_bytes, default=0) / 1000,
        stop=stopped,
        steps=re.search(r"step (\d+)/", status).group(1) if re.search(r"step (\d+)/", status) else "",
        ended=(ended - clicked) if ended and stopped is None else None,
        status=status)


def pin(pid, cores):
    """Pin a process of ours (the benchmark's kernel), all its threads, to ``cores``."""
    subprocess.run(["taskset", "-a", "-p", "-c", cores, str(pid)], check=True, capture_output=True)


def busy_core():
    """A process that keeps one core busy (a Python busy loop)."""
    return subprocess.Popen([sys.executable, "-c", "while True: pass"])


def cell(value, fmt, missing="—"):
    return format(value, fmt) if value is not None else missing


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--window", type=float, default=2.5,
                        help="seconds of training between the first update and Stop")
    parser.add_argument("--only", default="", help="comma-separated widget names")
    parser.add_argument("--quick", action="store_true",
                        help="default settings and the first heaviest setting per widget")
    parser.add_argument("--loads", default="as is,+1 busy,a fifth",
                        help="'as is' (the machine as it is), '+1 busy' (one more busy core), "
                             "'a fifth' (the kernel on a fifth of one core), comma-separated")
    args = parser.parse_args()
    names = [n for n in WIDGETS if not args.only or n in args.only.split(",")]

    kernel = Kernel()
    try:
        heaviest = json.loads(kernel.execute(SETUP % (WIDGETS,)).strip().splitlines()[-1])
        configs = []
        for name in names:
            configs.append((name, "default", {}))
            for k, settings in enumerate(heaviest[name][:1] if args.quick else heaviest[name]):
                configs.append((name, f"heaviest {k}", settings))
        for name, label, settings in configs[:1]:           # warm-up: imports, first allocations
            measure(kernel, name, settings, 0.5)
        rows = []
        for load in args.loads.split(","):
            spinner = busy_core() if load == "+1 busy" else None
            slow = slowed(k=4) if load == "a fifth" else contextlib.nullcontext()
            try:
                with slow as fifth:
                    if fifth is not None:
                        pin(kernel.manager.provisioner.pid, str(fifth.core))
                        print(f"  a fifth: the kernel gets {fifth.share:.2f} of core {fifth.core}")
                    time.sleep(0.5)
                    before = os.getloadavg()[0]
                    for name, label, settings in configs:
                        result = measure(kernel, name, settings, args.window,   # built at full speed
                                         building=fifth.paused if fifth else contextlib.nullcontext)
                        rows.append((load, before, name, label, settings, result))
                        print(f"  {load:7s} {name:21s} {label:10s} first "
                              f"{cell(result['first'], '.2f')} s, stop "
                              f"{cell(result['stop'], '.3f')} s | {result['status'][:70]}", flush=True)
                    if fifth is not None:
                        pin(kernel.manager.provisioner.pid, f"0-{os.cpu_count() - 1}")
            finally:
                if spinner:
                    spinner.kill()
                    spinner.wait()
    finally:
        kernel.close()

    print(f"\n{os.cpu_count()} cores; load average before each block: "
          + ", ".join(sorted({f'{load} {before:.1f}' for load, before, *_ in rows})))
    print(f"Stop pressed {args.window} s after the first update; times in seconds.\n")
    header = (f"{'load':8}{'widget':22}{'settings':12}{'first update':>13}{'redraws/s':>10}"
              f"{'kB/s':>8}{'max kB/redraw':>14}{'Stop':>14}{'steps':>7}")
    print(header)
    print("-" * len(header))
    for load, _, name, label, settings, r in rows:
        stop = cell(r["stop"], ".3f") if r["stop"] is not None else \
            (f"ran out {r['ended']:.1f}" if r["ended"] else "—")
        print(f"{load:8}{name:22}{label:12}{cell(r['first'], '.2f'):>13}"
              f"{cell(r['redraws'], '.1f'):>10}{cell(r['kbps'], '.0f'):>8}"
              f"{r['largest']:>14.1f}{stop:>14}{r['steps']:>7}")
    print("\nheaviest settings:")
    for name in names:
        for k, settings in enumerate(heaviest[name]):
            print(f"  {name} heaviest {k}: {settings}")
    stops = [r["stop"] for *_, r in rows if r["stop"] is not None]
    if stops:
        print(f"\nStop latency over all runs: median {statistics.median(stops):.3f} s, "
              f"worst {max(stops):.3f} s")


if __name__ == "__main__":
    main()
