"""Run shards take single-run changes through an append-only journal (store/_journal.py)."""
from __future__ import annotations

import shutil

import pytest

from nbtrack.entities import RunStatus
from nbtrack.errors import StoreCorruptedError
from nbtrack.store import TinyDBStore
from nbtrack.store import documents as documents_module


def _shard_files(root):
    runs = root / "runs"
    return runs / "000000.json", runs / "000000.jsonl"


def _finished_run(store, params):
    run = store.create_run("0", "r", 1000)
    store.log_batch(run.info.run_id, params=params)
    store.update_run(run.info.run_id, status=RunStatus.FINISHED, end_time=2000)
    return run.info.run_id


def test_run_changes_append_to_the_journal_and_a_fresh_store_reads_them(tmp_path):
    root = tmp_path / "store"
    store = TinyDBStore(root)
    first = _finished_run(store, {"a": "1"})  # the shard's first run creates its document
    base, journal = _shard_files(root)
    before = base.stat()
    second = _finished_run(store, {"b": "2"})
    assert journal.exists() and base.stat().st_ino == before.st_ino  # no rewrite of the shard
    fresh = TinyDBStore(root)
    for run_id, params in ((first, {"a": "1"}), (second, {"b": "2"})):
        run = fresh.get_run(run_id)
        assert run.data.params == params and run.info.status == RunStatus.FINISHED
    assert {r.info.run_id for r in fresh.list_runs(["0"])} == {first, second}


def test_a_torn_last_line_is_ignored_and_cut_by_the_next_writer(tmp_path):
    root = tmp_path / "store"
    store = TinyDBStore(root)
    _finished_run(store, {"a": "1"})
    run_id = _finished_run(store, {"b": "2"})
    _, journal = _shard_files(root)
    with open(journal, "ab") as fh:
        fh.write(b'[["runs","1",{"run_id":')  # a writer killed mid-line
    reader = TinyDBStore(root)
    assert reader.get_run(run_id).data.params == {"b": "2"}
    reader.log_batch(run_id, tags={"t": "v"})
    assert TinyDBStore(root).get_run(run_id).data.tags["t"] == "v"
    assert journal.read_bytes().endswith(b"\n")


def test_a_garbled_line_names_the_journal(tmp_path):
    root = tmp_path / "store"
    store = TinyDBStore(root)
    _finished_run(store, {"a": "1"})
    run_id = _finished_run(store, {"b": "2"})
    _, journal = _shard_files(root)
    with open(journal, "ab") as fh:
        fh.write(b"not json\n")
    with pytest.raises(StoreCorruptedError, match="000000.jsonl"):
        TinyDBStore(root).get_run(run_id)


def test_long_journals_are_folded_into_the_shard(tmp_path, monkeypatch):
    monkeypatch.setattr(documents_module, "JOURNAL_COMPACT_BYTES", 4000)
    root = tmp_path / "store"
    store = TinyDBStore(root)
    ids = [_finished_run(store, {"i": str(i)}) for i in range(20)]
    _, journal = _shard_files(root)
    assert not journal.exists() or journal.stat().st_size <= 4000 + 2000
    fresh = TinyDBStore(root)
    assert [fresh.get_run(i).data.params for i in ids] == [{"i": str(i)} for i in range(20)]


def test_replaying_a_journal_already_folded_in_changes_nothing(tmp_path):
    root = tmp_path / "store"
    store = TinyDBStore(root)
    _finished_run(store, {"a": "1"})
    run_id = _finished_run(store, {"b": "2"})
    base, journal = _shard_files(root)
    kept = tmp_path / "journal-copy"
    shutil.copy(journal, kept)
    store._docs.update("runs/000000", lambda raw: None)  # a compaction: rewrite, journal removed
    assert not journal.exists()
    shutil.copy(kept, journal)  # as if the compaction died before removing the journal
    run = TinyDBStore(root).get_run(run_id)
    assert run.data.params == {"b": "2"} and run.info.status == RunStatus.FINISHED
