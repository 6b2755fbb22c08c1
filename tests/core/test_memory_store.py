"""A MemoryStore's artifact temp dir does not outlive the store."""
from __future__ import annotations

import gc

from nbtrack.store import MemoryStore


def test_close_removes_the_artifact_dir(tmp_path):
    store = MemoryStore("closing")
    root = store.artifact_root
    assert root.is_dir()
    store.close()
    assert not root.exists()


def test_garbage_collection_removes_the_artifact_dir():
    store = MemoryStore("dropped")
    root = store.artifact_root
    del store
    gc.collect()
    assert not root.exists()
