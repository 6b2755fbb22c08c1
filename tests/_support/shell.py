"""A real IPython InteractiveShell with the nbtrack extension, on a TinyDB store in tmp_path."""
from __future__ import annotations

import pytest
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config


@pytest.fixture(scope="session")
def shell() -> InteractiveShell:
    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    return InteractiveShell.instance(config=config)


@pytest.fixture
def ip(shell, store_uri, monkeypatch, tmp_path, extension_loaded):
    """The shared shell, extension loaded, namespace and run stack clean before and after."""
    monkeypatch.chdir(tmp_path)
    shell.history_manager.reset()  # a fresh session: earlier tests' cells are not this test's
    with extension_loaded(shell):
        yield shell
