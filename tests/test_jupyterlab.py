"""A reader's session, for real: JupyterLab on loopback, chapter pages opened as notebooks in
Debian's headless Chromium and run. On the vanishing-gradients page: Train clicked, the plot
seen to change, Stop clicked, training seen to stop. On the dense-networks page: the
playground's Train clicked and its decision boundary seen to change."""
import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import jupytext
import pytest

import chromium
from conftest import ROOT

playwright = pytest.importorskip("playwright.sync_api")
pytestmark = chromium.MARKS
TOKEN = "course-test-token"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    work = tmp_path_factory.mktemp("lab")
    for page in ("recurrent/vanishing_gradients", "neural/dense"):
        nb = jupytext.read(ROOT / "chapters" / f"{page}.md")
        jupytext.write(nb, work / f"{Path(page).name}.ipynb")
    port = free_port()
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
               JUPYTER_CONFIG_DIR=str(work / ".jupyter"), COURSE_DEVICE="cpu")
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "jupyter"), "lab", "--no-browser", "--ip=127.0.0.1",
         f"--port={port}", f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={work}",
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
    yield base
    server.terminate()
    server.wait(timeout=30)


def loss_path(page):
    """The drawn curve of the widget's figure titled 'loss' (an SVG path), or ''."""
    return page.evaluate("""() => {
        const plot = Array.from(document.querySelectorAll('.js-plotly-plot'))
            .find(p => (p.querySelector('.gtitle') || {}).textContent === 'loss');
        const path = plot && plot.querySelector('.scatterlayer .trace path.js-line');
        return path ? path.getAttribute('d') || '' : '';
    }""")


def heatmap_image(page, title):
    """The rendered heatmap (a data-URL image) of the widget's figure with this title, or ''."""
    return page.evaluate("""title => {
        const plot = Array.from(document.querySelectorAll('.js-plotly-plot'))
            .find(p => (p.querySelector('.gtitle') || {}).textContent === title);
        const image = plot && plot.querySelector('.heatmaplayer image');
        return image ? image.getAttribute('href') || '' : '';
    }""", title)


def status_says(page, text):
    page.wait_for_function(
        "text => Array.from(document.querySelectorAll('.widget-html-content'))"
        ".some(e => e.textContent.includes(text))", arg=text)


def open_and_run(context, lab, notebook, figure_title):
    """Open a notebook, run every cell, wait for the widget figure; return (page, Train)."""
    page = context.new_page()
    page.set_default_timeout(120_000)
    workspace = Path(notebook).stem                # its own workspace: no tabs restored from another test
    page.goto(f"{lab}/lab/workspaces/{workspace}/tree/{notebook}?reset&token={TOKEN}")
    page.wait_for_function("() => window.jupyterapp && document.querySelector('.jp-Notebook')")
    page.wait_for_function("() => document.querySelector('.jp-Notebook-ExecutionIndicator')"
                           " || document.querySelector('.jp-KernelStatus')")
    page.wait_for_timeout(3000)                   # let the kernel connect
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    train = page.get_by_role("button", name="Train")
    train.wait_for(state="visible")
    train.scroll_into_view_if_needed()
    page.wait_for_function("title => Array.from(document.querySelectorAll('.js-plotly-plot .gtitle'))"
                           ".some(t => t.textContent === title)", arg=figure_title)
    return page, train


@contextlib.contextmanager
def notebook_in_chromium(lab, notebook, figure_title):
    """Yield (page, Train button) of a notebook run in JupyterLab; nothing may leave loopback."""
    with playwright.sync_playwright() as p:
        browser = chromium.launch(p)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        outside = chromium.offline(context, lab, "ws://127.0.0.1")
        yield open_and_run(context, lab, notebook, figure_title)
        browser.close()
    assert not outside, f"requests to the network: {outside}"


def screenshot(page, name):
    page.screenshot(path=str(Path(os.environ.get("COURSE_SCREENSHOTS", "/tmp")) / name))


def test_train_and_stop_in_jupyterlab(lab):
    with notebook_in_chromium(lab, "vanishing_gradients.ipynb", "loss") as (page, train):
        before = loss_path(page)
        train.click()
        status_says(page, "training on")
        time.sleep(1.0)
        during = loss_path(page)
        assert during and during != before, "the loss curve did not change while training"
        page.get_by_role("button", name="Stop").click()
        status_says(page, "stopped at step")
        stopped = loss_path(page)
        time.sleep(1.5)
        assert loss_path(page) == stopped, "the loss curve kept changing after Stop"
        screenshot(page, "jupyterlab-gradient-flow.png")


def test_playground_draws_a_changing_boundary_in_jupyterlab(lab):
    with notebook_in_chromium(lab, "dense.ipynb", "p(class 1)") as (page, train):
        train.click()
        status_says(page, "training on")
        page.wait_for_function("() => document.querySelector('.js-plotly-plot .heatmaplayer image')")
        early = heatmap_image(page, "p(class 1)")
        status_says(page, "held-out accuracy")           # the run's last words
        final = heatmap_image(page, "p(class 1)")
        assert early and final and final != early, "the decision boundary did not change"
        screenshot(page, "jupyterlab-playground.png")
