"""A reader's session, for real: JupyterLab on loopback and Debian's headless Chromium, every
training widget at its heaviest allowed settings in one notebook (one page load, one kernel),
each widget's cell run by its own test. For each widget: Train is clicked and its plot seen to
change; Stop is clicked and the status line must say "stopped" within FRAMES frames of the
training plot and one round trip to the kernel, all measured in the page in this test (from the
click to the text changing; the longest gap between two redraws the page showed while training;
a click on Train answered by a refusal on an idle kernel), so that the bound follows the
machine's speed; then a refused value is entered and Train clicked, and the refusal must be on
screen (the clipping explorer is also driven to divergence, which must be on screen too). No
plotly drawing error may reach the console. Printed: each Stop time and its bound, and how many
redraws per second the page showed while training, with the share of its main thread spent in
long tasks. The server, the browser and the notebook's kernel are started once
(``test_the_widgets_notebook_opens_in_jupyterlab`` carries that time); each widget's test costs
what one more widget costs."""
import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

import chromium
from conftest import ceiling

playwright = pytest.importorskip("playwright.sync_api")
pytestmark = [*chromium.MARKS, pytest.mark.xdist_group("jupyterlab")]   # one server, one page
TOKEN = "course-test-token"
# After a click on Stop the page may have to draw the frame in flight and the closing one,
# each behind the browser's other long tasks, and the kernel finish its slice, before the
# status line changes: seen up to 3.7 frames (the optimizer race, whose plots keep the page's
# main thread busy half the time). The bound is in frames, measured in the test.
FRAMES = 6

# (constructor, a control's label, a value it refuses, words of the refusal): one per widget,
# in the notebook's order; each widget is made with its heaviest allowed settings.
WIDGETS = [
    ("GradientFlowExplorer(**GradientFlowExplorer.HEAVIEST[0])", "hidden size", "512",
     "choose a value between 2 and"),
    ("ClippingExplorer(**ClippingExplorer.HEAVIEST[0])", "learning rate", "50", "refused"),
    ("GatedRace(**GatedRace.HEAVIEST[1])", "length / delay", "1000", "refused"),
    ("OptimizerRace(**OptimizerRace.HEAVIEST[0])", "lr sgd", "-1", "refused"),
    ("Playground(**Playground.HEAVIEST[0])", "units per layer", "1000", "refused"),
    ("CliffExplorer(**CliffExplorer.HEAVIEST[0])", "α (step size)", "5", "refused"),
    ("CartPoleTrainer(**CartPoleTrainer.HEAVIEST[0])", "hidden units", "1000", "refused"),
    ("BanditLab(**BanditLab.HEAVIEST[0])", "bandit problems", "5000", "refused"),
    ("GridworldPlanner(**GridworldPlanner.HEAVIEST[0])", "slip probability", "0.9", "refused"),
    ("DQNTrainer(**DQNTrainer.HEAVIEST[0])", "hidden units", "1000", "refused"),
    ("GANArena(**GANArena.HEAVIEST[0])", "D steps per G", "50", "refused"),
    ("MemoryDistanceExplorer(**MemoryDistanceExplorer.HEAVIEST[0])", "longest delay", "40", "refused"),
]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def widgets_notebook(path):
    cells = [nbformat.v4.new_code_cell(
        "from book.widgets import (BanditLab, CartPoleTrainer, CliffExplorer, ClippingExplorer, "
        "DQNTrainer, GANArena, GatedRace, GradientFlowExplorer, GridworldPlanner, MemoryDistanceExplorer, "
        "OptimizerRace, "
        "Playground)")]
    cells += [nbformat.v4.new_code_cell(make) for make, *_ in WIDGETS]
    nbformat.write(nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": {
        "name": "python3", "display_name": "Python 3", "language": "python"}}), path)


@contextlib.contextmanager
def jupyter_lab(work, *options):
    """A real JupyterLab server on loopback, rooted at ``work``, its own configuration and a
    fixed token; yields its base URL and stops it afterwards."""
    port = free_port()
    bin_dir = Path(sys.executable).parent
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
               JUPYTER_CONFIG_DIR=str(work / ".jupyter"), COURSE_DEVICE="cpu")
    server = subprocess.Popen(
        [str(bin_dir / "jupyter"), "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={work}", *options,
         "--LabApp.expose_app_in_browser=True", "--LabApp.news_url=",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
         "--LabApp.extension_manager=readonly", "--ServerApp.allow_root=True"],
        env=env, cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            urllib.request.urlopen(f"{base}/api/status?token={TOKEN}", timeout=1)
            break
        except OSError:
            time.sleep(0.5)
    else:
        server.kill()
        pytest.fail("JupyterLab did not start")
    try:
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    work = tmp_path_factory.mktemp("lab")
    widgets_notebook(work / "widgets.ipynb")
    with jupyter_lab(work) as base:
        yield base


def wait_for_idle_kernel(page):
    """Until the open notebook's kernel is connected and idle (ready for Run All)."""
    page.wait_for_function("""() => { const w = window.jupyterapp.shell.currentWidget;
        const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
        return k && k.connectionStatus === 'connected' && k.status === 'idle'; }""")


def screenshot(page, name):
    page.screenshot(path=str(Path(os.environ.get("COURSE_SCREENSHOTS", "/tmp")) / name))


# In-page helpers; widget i is the i-th element of class training-widget.
SIGNATURE = """i => {
    const root = document.querySelectorAll('.training-widget')[i];
    return Array.from(root.querySelectorAll('.js-plotly-plot')).map(plot =>
        Array.from(plot.querySelectorAll('.scatterlayer path.js-line, .heatmaplayer image'))
             .map(e => e.getAttribute('d') || e.getAttribute('href') || '').join('|')).join('#');
}"""
STATUS = """i => document.querySelectorAll('.training-widget')[i]
    .querySelector('.training-status').textContent"""
CLICK_AND_TIME = """([i, button, words]) => new Promise(resolve => {
    // seconds from a click on the button to the status line saying the words (-1: never)
    const root = document.querySelectorAll('.training-widget')[i];
    const status = root.querySelector('.training-status');
    const target = Array.from(root.querySelectorAll('button')).find(b => b.textContent.includes(button));
    const observer = new MutationObserver(() => {
        if (status.textContent.includes(words)) {
            observer.disconnect();
            resolve((performance.now() - clicked) / 1000);
        }
    });
    observer.observe(status, {subtree: true, childList: true, characterData: true});
    const clicked = performance.now();
    target.click();
    setTimeout(() => { observer.disconnect(); resolve(-1); }, 120000);
})"""
BROWSER_PACE = """i => new Promise(resolve => {
    // for 1 s of training: redraws the page shows (bursts of changes to the widget's plots
    // at least 20 ms apart), the share of time its main thread spends in long tasks, and the
    // longest gap in seconds between the starts of two redraws
    const root = document.querySelectorAll('.training-widget')[i];
    let redraws = 0, last = 0, busy = 0, burst = 0, gap = 0;
    const changes = new MutationObserver(() => {
        const now = performance.now();
        if (now - last > 20) {
            if (redraws > 0) gap = Math.max(gap, now - burst);
            redraws++;
            burst = now;
        }
        last = now;
    });
    root.querySelectorAll('.js-plotly-plot').forEach(plot =>
        changes.observe(plot, {subtree: true, childList: true, attributes: true}));
    const tasks = new PerformanceObserver(list => list.getEntries().forEach(e => busy += e.duration));
    tasks.observe({type: 'longtask'});
    const start = performance.now();
    setTimeout(() => {
        changes.disconnect(); tasks.disconnect();
        const now = performance.now();     // the redraw still awaited counts as a gap too
        gap = Math.max(gap, now - (redraws > 0 ? burst : start));
        resolve([redraws, busy / 1000, gap / 1000]);
    }, 1000);
})"""
ON_SCREEN = """i => {
    const box = document.querySelectorAll('.training-widget')[i]
        .querySelector('.training-status').getBoundingClientRect();
    return box.height > 0 && box.top >= 0 && box.bottom <= window.innerHeight
        && box.left >= 0 && box.right <= window.innerWidth;
}"""


@contextlib.contextmanager
def lab_tab(lab, seconds, page_errors=False):
    """A Chromium tab for the JupyterLab server at ``lab``, waits up to ``seconds`` (stretched on
    a slow machine); yields (page, console errors, and the page's uncaught errors if
    ``page_errors``). Nothing may leave loopback."""
    with playwright.sync_playwright() as p:
        browser = chromium.launch(p)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        outside = chromium.watch(context, lab, "ws://127.0.0.1")
        errors = []
        context.on("console", lambda message: message.type == "error" and errors.append(message.text))
        page = context.new_page()
        if page_errors:
            page.on("pageerror", lambda error: errors.append(str(error)))
        page.set_default_timeout(ceiling(seconds) * 1000)
        yield page, errors
        browser.close()
    assert not outside, f"requests to the network: {outside}"


@pytest.fixture(scope="module")
def widgets_page(lab):
    """The widgets' notebook open in Chromium, its kernel idle after the import cell; yields
    (page, console errors)."""
    with lab_tab(lab, 120) as (page, errors):
        page.goto(f"{lab}/lab/workspaces/widgets/tree/widgets.ipynb?reset&token={TOKEN}")
        page.wait_for_function("() => window.jupyterapp && document.querySelector('.jp-Notebook')")
        wait_for_idle_kernel(page)
        run_cell(page, 0)
        yield page, errors
        screenshot(page, "jupyterlab-widgets.png")


def run_cell(page, index):
    """Run cell ``index`` of the open notebook and wait until its kernel is idle again."""
    page.evaluate("""i => { const notebook = window.jupyterapp.shell.currentWidget.content;
        notebook.activeCellIndex = i;
        return window.jupyterapp.commands.execute('notebook:run-cell'); }""", index)
    page.wait_for_function("i => { const cell = window.jupyterapp.shell.currentWidget.content.widgets[i];"
                           " return cell.model.executionCount !== null; }", arg=index)
    wait_for_idle_kernel(page)


def test_the_widgets_notebook_opens_in_jupyterlab(widgets_page):
    page, errors = widgets_page
    cells = page.evaluate("() => window.jupyterapp.shell.currentWidget.content.widgets.length")
    assert cells == 1 + len(WIDGETS)
    text = page.evaluate("() => window.jupyterapp.shell.currentWidget.content.widgets[0].node.innerText")
    assert "Error" not in text, text[-2000:]


@pytest.mark.parametrize("widget", range(len(WIDGETS)), ids=[make.split("(")[0] for make, *_ in WIDGETS])
def test_widget_trains_stops_within_a_few_frames_and_shows_refusals_in_jupyterlab(widgets_page, widget):
    page, errors = widgets_page
    make, label, refused, words = WIDGETS[widget]
    seen_errors, started = len(errors), time.perf_counter()
    i = page.evaluate("() => document.querySelectorAll('.training-widget').length")   # in the page
    run_cell(page, 1 + widget)
    page.wait_for_function("n => document.querySelectorAll('.training-widget .training-status')"
                           ".length >= n", arg=i + 1)
    print(f"built in {time.perf_counter() - started:.1f} s")
    root = page.locator(".training-widget").nth(i)
    root.scroll_into_view_if_needed()
    assert "press Train to start" in page.evaluate(STATUS, i), make
    page.wait_for_function(      # on a slow machine plotly may still be drawing it
        "i => document.querySelectorAll('.training-widget')[i].querySelector('.js-plotly-plot')"
        ".innerText.includes('no run yet: press Train')", arg=i)
    before = page.evaluate(SIGNATURE, i)
    root.get_by_role("button", name="Train").click()
    page.wait_for_function(f"() => ({STATUS})({i}).includes('training on')")
    page.wait_for_function(f"before => ({SIGNATURE})({i}) !== before", arg=before,
                           timeout=ceiling(60) * 1000)
    redraws, busy, frame = page.evaluate(BROWSER_PACE, i)
    print(f"while training: {redraws} redraws shown per second, {busy:.0%} of the main thread "
          f"in long tasks, longest gap {frame:.3f} s")
    assert "training on" in page.evaluate(STATUS, i), "the run ended before Stop"
    seconds = page.evaluate(CLICK_AND_TIME, [i, "Stop", "stopped at step"])
    assert seconds >= 0, (make, page.evaluate(STATUS, i))
    page.wait_for_timeout(200)
    stopped = page.evaluate(SIGNATURE, i)
    page.wait_for_timeout(500)
    assert page.evaluate(SIGNATURE, i) == stopped, f"{make}: the plot changed after Stop"

    box = root.locator(".widget-text", has=page.locator("label", has_text=label)).locator("input")
    box.fill(refused)
    box.press("Enter")
    page.wait_for_timeout(200)                # the value reaches the idle kernel
    round_trip = page.evaluate(CLICK_AND_TIME, [i, "Train", "refused"])
    assert round_trip >= 0, page.evaluate(STATUS, i)
    assert words in page.evaluate(STATUS, i), page.evaluate(STATUS, i)
    assert page.evaluate(ON_SCREEN, i), f"{make}: the refusal is off screen"
    bound = round_trip + FRAMES * frame
    print(f"Stop: {seconds:.3f} s from the click to the status change, bound {bound:.3f} s")
    assert seconds <= bound, f"Stop later than {FRAMES} frames and a round trip"
    if make.startswith("ClippingExplorer"):     # the largest allowed learning rate
        box.fill("5")
        box.press("Enter")
        root.get_by_role("button", name="Train").click()
        page.wait_for_function(f"() => ({STATUS})({i}).includes('diverged at step')")
        assert page.evaluate(ON_SCREEN, i), "the divergence is off screen"
    if widget == 0:
        screenshot(page, "jupyterlab-gradient-flow.png")
    drawing = [e for e in errors[seen_errors:]
               if any(w in e for w in ("NaN", "Infinity", "attribute d", "plotly"))]
    assert not drawing, drawing[:5]
