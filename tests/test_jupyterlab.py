"""A reader's session, for real: JupyterLab on loopback, the vanishing-gradients page opened as
a notebook in Debian's headless Chromium, run, Train clicked, the plot seen to change, Stop
clicked, and training seen to stop."""
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
    nb = jupytext.read(ROOT / "chapters" / "recurrent" / "vanishing_gradients.md")
    jupytext.write(nb, work / "vanishing_gradients.ipynb")
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


def test_train_and_stop_in_jupyterlab(lab):
    with playwright.sync_playwright() as p:
        browser = chromium.launch(p)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        outside = chromium.offline(context, lab, "ws://127.0.0.1")
        page = context.new_page()
        page.set_default_timeout(120_000)
        page.goto(f"{lab}/lab/tree/vanishing_gradients.ipynb?token={TOKEN}")
        page.wait_for_function("() => window.jupyterapp && document.querySelector('.jp-Notebook')")
        page.wait_for_function("() => document.querySelector('.jp-Notebook-ExecutionIndicator')"
                               " || document.querySelector('.jp-KernelStatus')")
        page.wait_for_timeout(3000)                   # let the kernel connect
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        train = page.get_by_role("button", name="Train")
        train.wait_for(state="visible")
        train.scroll_into_view_if_needed()
        page.wait_for_function("() => Array.from(document.querySelectorAll('.js-plotly-plot .gtitle'))"
                               ".some(t => t.textContent === 'loss')")
        before = loss_path(page)
        train.click()
        page.wait_for_function(
            "() => Array.from(document.querySelectorAll('.widget-html-content'))"
            ".some(e => e.textContent.includes('training on'))")
        time.sleep(1.0)
        during = loss_path(page)
        assert during and during != before, "the loss curve did not change while training"
        page.get_by_role("button", name="Stop").click()
        page.wait_for_function(
            "() => Array.from(document.querySelectorAll('.widget-html-content'))"
            ".some(e => e.textContent.includes('stopped at step'))")
        stopped = loss_path(page)
        time.sleep(1.5)
        assert loss_path(page) == stopped, "the loss curve kept changing after Stop"
        page.screenshot(path=str(Path(os.environ.get("COURSE_SCREENSHOTS", "/tmp")) / "jupyterlab-gradient-flow.png"))
        browser.close()
    assert not outside, f"requests to the network: {outside}"
