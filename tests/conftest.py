"""Fixtures shared by every test folder: fresh real stores and a clean fluent state."""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

import nbtrack
from nbtrack.fluent import runs as fluent


@pytest.fixture(autouse=True)
def _clean_fluent_state():
    """End any run a test left active and forget the fluent tracking URI / experiment."""
    yield
    fluent._reset()


@pytest.fixture
def tracking_uri(tmp_path) -> str:
    """A fresh TinyDB store in tmp_path, set as the fluent tracking URI for this test."""
    uri = f"tinydb://{tmp_path / 'store'}"
    nbtrack.set_tracking_uri(uri)
    yield uri
    fluent._reset()


@pytest.fixture
def client(tracking_uri) -> nbtrack.TrackingClient:
    """A TrackingClient on the ``tracking_uri`` store (shared with the fluent API)."""
    return nbtrack.TrackingClient(tracking_uri)


@pytest.fixture(params=["memory", "tinydb"])
def any_uri(request, tmp_path) -> str:
    """Each store backend in turn, set as the fluent tracking URI: for tests valid on both."""
    if request.param == "memory":
        uri = f"memory:test-{uuid.uuid4().hex}"
    else:
        uri = f"tinydb://{tmp_path / 'store'}"
    nbtrack.set_tracking_uri(uri)
    yield uri
    fluent._reset()


@contextmanager
def _extension_loaded(shell: Any) -> Iterator[Any]:
    """``%load_ext nbtrack`` on ``shell``; afterwards unload it, end runs left open, drop the
    names the test added, and check that no event hook or input transformer was left behind."""
    before = {event: list(cbs) for event, cbs in shell.events.callbacks.items()}
    user_keys = set(shell.user_ns)
    transformers = list(shell.input_transformers_cleanup)
    shell.run_line_magic("load_ext", "nbtrack")
    yield shell
    shell.run_line_magic("unload_ext", "nbtrack")
    while nbtrack.active_run() is not None:
        nbtrack.end_run()
    for key in set(shell.user_ns) - user_keys:
        del shell.user_ns[key]
    assert {event: list(cbs) for event, cbs in shell.events.callbacks.items()} == before
    assert shell.input_transformers_cleanup == transformers


@pytest.fixture
def extension_loaded():
    """The context manager above, for the magics and widgets shell fixtures."""
    return _extension_loaded
