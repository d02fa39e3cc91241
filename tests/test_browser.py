"""The built book in real headless Chromium (Debian's), served on loopback, fully offline."""
import functools
import http.server
import json
import re
import threading
from pathlib import Path

import pytest

import chromium
from conftest import ceiling, toc_pages

playwright = pytest.importorskip("playwright.sync_api")
pytestmark = chromium.MARKS


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def site(built_book):
    html = built_book / "html"
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                             functools.partial(QuietHandler, directory=str(html)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", html
    server.shutdown()


@pytest.fixture(scope="module")
def tab(site):
    """One tab for every page, as a reader moves through the book: the browser's cache keeps
    plotly's and MathJax's scripts between pages (a fresh browser context per page cost three
    times as much). What each page logs and requests is collected for the page being read."""
    base, _ = site
    with playwright.sync_playwright() as p:
        browser = chromium.launch(p)
        context = browser.new_context()
        tab = context.new_page()
        tab.seen = {"errors": [], "plotly": [], "outside": chromium.watch(context, base)}
        tab.on("console", lambda msg: tab.seen["errors"].append(msg.text) if msg.type == "error" else None)
        tab.on("pageerror", lambda exc: tab.seen["errors"].append(str(exc)))
        tab.on("request", lambda req: tab.seen["plotly"].append(req.url) if "plotly.min.js" in req.url else None)
        yield tab
        browser.close()


LIVE_PAGES = [page for page in toc_pages()
              if "from book.widgets import" in (Path(__file__).parents[1] / f"{page}.md").read_text()]


@pytest.mark.parametrize("page", toc_pages())
def test_page_renders_offline_and_a_live_page_stays_explorable(site, tab, page):
    """Each page loads once: its math and figures render from the book's own files, nothing
    leaves loopback, the console stays clean; on a page with a widget, the static figure's
    slider then moves (``slider_moves``)."""
    base, html = site
    path = html / f"{page}.html"
    assert path.stat().st_size < 3 * 1024 * 1024, "page larger than 3 MB"
    n_figures = len(re.findall(r"Plotly\.newPlot\(", path.read_text()))
    for seen in tab.seen.values():
        seen.clear()
    tab.goto(f"{base}/{page}.html", wait_until="load")     # its math and figures awaited below
    if "mathjax" in path.read_text().lower().split("</head>", 1)[0]:   # Sphinx loads it where math is
        tab.wait_for_function("() => window.MathJax && window.MathJax.startup && window.MathJax.startup.promise")
        tab.evaluate("() => window.MathJax.startup.promise")
    if "$" in (Path(__file__).parents[1] / f"{page}.md").read_text() or "{math}" in path.read_text():
        assert tab.locator("mjx-container").count() > 0, "math did not render"
        assert tab.locator("mjx-merror").count() == 0, "a formula failed to render"
    if n_figures:
        tab.wait_for_function(f"() => document.querySelectorAll('.js-plotly-plot .main-svg').length >= {n_figures}")
        drawn = tab.evaluate("() => Array.from(document.querySelectorAll('.js-plotly-plot'))"
                             ".map(d => d.querySelectorAll('.scatterlayer .trace, .heatmaplayer .hm, .contourlayer .contour, .barlayer .trace, .imagelayer image').length)")
        assert len(drawn) == n_figures and all(n > 0 for n in drawn), drawn
        assert tab.evaluate("() => typeof window.Plotly") == "object", "plotly did not load"
        # plotly from the book's own copy, once (or from the cache of an earlier page)
        plotly = tab.seen["plotly"]
        assert len(plotly) <= 1 and all(url.split("?")[0] == f"{base}/_static/plotly.min.js"
                                        for url in plotly), plotly
    if page in LIVE_PAGES:
        slider_moves(tab, path.read_text())
    assert not tab.seen["outside"], f"requests to the network: {tab.seen['outside']}"
    assert not tab.seen["errors"], tab.seen["errors"]


def slider_moves(tab, text):
    """Without a kernel, the slider of a live page's static figure moves and the figure
    changes: the title and the traces drawn are another run's."""
    start = '<script type="application/vnd.jupyter.widget-state+json">'
    if start in text:                  # progress bars may leave theirs; a figure widget may not
        state = json.loads(text.split(start, 1)[1].split("</script>", 1)[0])["state"]
        figures = [m for m in state.values() if "anywidget" in m.get("model_module", "")
                   or "plotly" in m.get("model_module", "") or m["model_name"] == "AnyModel"]
        assert not figures, "the page carries the state of widgets made for its static figure"
    tab.wait_for_function("() => Array.from(document.querySelectorAll('.js-plotly-plot'))"
                          ".some(d => d.layout && d.layout.sliders && d.layout.sliders.length)")
    state = """() => { const d = Array.from(document.querySelectorAll('.js-plotly-plot'))
        .find(d => d.layout && d.layout.sliders && d.layout.sliders.length);
        return {title: d.layout.title.text, active: d.layout.sliders[0].active,
                n: d.layout.sliders[0].steps.length,
                visible: d.data.map(t => t.visible === undefined || t.visible === true)}; }"""
    before = tab.evaluate(state)
    assert before["n"] >= 2
    target = 1 if before["active"] == 0 else 0
    # click the slider like a reader: scrolled into view, on its rail above the step's tick
    index = tab.evaluate("() => Array.from(document.querySelectorAll('.js-plotly-plot'))"
                         ".findIndex(d => d.layout && d.layout.sliders && d.layout.sliders.length)")
    figure = tab.locator(".js-plotly-plot").nth(index)
    figure.scroll_into_view_if_needed()
    tick = figure.locator(".slider-container .slider-tick-rect").nth(target).bounding_box()
    rail = figure.locator(".slider-container .slider-rail-touch-rect").first.bounding_box()
    tab.mouse.click(tick["x"] + tick["width"] / 2, rail["y"] + rail["height"] / 2)
    tab.wait_for_function(f"() => ({state})().active === {target}")
    try:            # plotly marks the step active before it has restyled the traces
        tab.wait_for_function(f"shown => ({state})().visible.some((v, i) => v !== shown[i])",
                              arg=before["visible"], timeout=ceiling(5) * 1000)
    except playwright.TimeoutError:
        pass                                     # the assert below says what went wrong
    after = tab.evaluate(state)
    assert after["visible"] != before["visible"], "the slider did not change what is drawn"
