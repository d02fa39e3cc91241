"""Shared fixtures: the built book (built once, by the README's test command or here)."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "_build"
# nbgrader runs its helper (alembic) by name, in this process too (the Gradebook API)
os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"


def toc_pages():
    """Every page of _toc.yml, as paths relative to the root without suffix."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    pages = [toc["root"]]
    for part in toc.get("parts", []):
        pages += [chapter["file"] for chapter in part["chapters"]]
    return pages


@pytest.fixture(scope="session")
def built_book():
    """The executed book under _build; built here if the test command did not build it."""
    if not (BUILD / "html" / "index.html").exists():
        subprocess.run([str(Path(sys.executable).parent / "jupyter-book"), "build", str(ROOT),
                        "-W", "-n", "--keep-going"], check=True,
                       env=dict(os.environ, PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}"))
    return BUILD


def pytest_collection_modifyitems(config, items):
    try:
        import torch
        has_cuda = torch.cuda.is_available()
    except ImportError:
        has_cuda = False
    skip = pytest.mark.skip(reason="needs a CUDA GPU")
    for item in items:
        if "gpu" in item.keywords and not has_cuda:
            item.add_marker(skip)
