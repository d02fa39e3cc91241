"""Debian's Chromium under Playwright, offline: shared by the browser tests."""
import shutil
from pathlib import Path

import pytest

EXECUTABLE = shutil.which("chromium") or "/usr/bin/chromium"
# Every request that is not to loopback goes to a proxy that is not there (the closed port 9)
# and fails inside the browser; Chromium never sends loopback through a proxy. So a test need
# not intercept each request to keep the browser offline (interception also turns the cache off).
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--proxy-server=http://127.0.0.1:9"]
MARKS = [pytest.mark.browser,
         pytest.mark.skipif(not Path(EXECUTABLE).exists(), reason="Debian's chromium is not installed")]


def launch(playwright):
    """Chromium from Debian's package (never a browser download)."""
    return playwright.chromium.launch(executable_path=EXECUTABLE, args=FLAGS)


def watch(context, *allowed):
    """Record, without intercepting, every request whose URL does not start with one of
    ``allowed``; return the list that collects them (the flags above make them fail)."""
    outside = []
    context.on("request", lambda request: None if request.url.startswith(("data:", "blob:", *allowed))
               else outside.append(request.url))
    return outside
