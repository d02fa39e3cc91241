"""Opening and saving a chapter in JupyterLab leaves it byte-identical.

JupyterLab opens a chapter through jupytext's contents manager, which reads the MyST file
as a notebook and writes it back on every save (autosave included), following jupytext.toml.
This runs that same contents manager over every chapter.
"""
import shutil

import pytest
from jupyter_server.services.contents.largefilemanager import LargeFileManager
from jupytext.sync_contentsmanager import build_sync_jupytext_contents_manager_class

from conftest import ROOT, toc_pages

ContentsManager = build_sync_jupytext_contents_manager_class(LargeFileManager)


@pytest.mark.parametrize("page", toc_pages())
def test_open_and_save_changes_no_byte(page, tmp_path):
    shutil.copy(ROOT / "jupytext.toml", tmp_path)
    source = ROOT / f"{page}.md"
    copy = tmp_path / source.name
    shutil.copy(source, copy)
    manager = ContentsManager(root_dir=str(tmp_path))
    model = manager.get(copy.name, type="notebook")
    manager.save(model, copy.name)
    assert copy.read_bytes() == source.read_bytes(), \
        f"{page}: saving in JupyterLab rewrites it; run `python -m tests.normalize` (see README)"
