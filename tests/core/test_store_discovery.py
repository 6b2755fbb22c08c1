"""The one rule that finds the store (nbtrack.store.discovery), on real folders and git."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

import nbtrack
from nbtrack.errors import InvalidParameterError, StoreNotFoundError
from nbtrack.store import default_uri, open_store
from nbtrack.store.discovery import canonical_uri, discover_store, existing_store_uri


@pytest.fixture
def tree(tmp_path, monkeypatch) -> Path:
    """project/sub/deeper with no store anywhere above it and no discovery variables set."""
    for var in ("NBTRACK_TRACKING_URI", "NBTRACK_PROJECT_ROOT", "NBTRACK_NOTEBOOK", "JPY_SESSION_NAME"):
        monkeypatch.delenv(var, raising=False)
    assert not any((p / "nbtrack-store").is_dir() for p in tmp_path.parents), "stray store above tmp"
    deeper = tmp_path / "project" / "sub" / "deeper"
    deeper.mkdir(parents=True)
    return tmp_path / "project"


def test_nearest_store_walking_up_wins(tree):
    (tree / "nbtrack-store").mkdir()
    (tree / "sub" / "nbtrack-store").mkdir()
    found = discover_store(tree / "sub" / "deeper", environ={})
    assert found.uri == f"tinydb://{tree / 'sub' / 'nbtrack-store'}" and found.source == "found"
    assert discover_store(tree, environ={}).path == str(tree / "nbtrack-store")


def test_env_var_wins_over_a_nearer_store(tree, tmp_path):
    (tree / "sub" / "nbtrack-store").mkdir()
    env = {"NBTRACK_TRACKING_URI": str(tmp_path / "elsewhere")}
    found = discover_store(tree / "sub", environ=env)
    assert found.uri == f"tinydb://{tmp_path / 'elsewhere'}" and found.source == "env"
    assert not found.exists


def test_the_notebook_folder_is_where_the_search_starts(tree, monkeypatch):
    (tree / "sub" / "nbtrack-store").mkdir()
    monkeypatch.chdir(tree)
    env = {"JPY_SESSION_NAME": str(tree / "sub" / "deeper" / "train.ipynb")}
    assert discover_store(environ=env).path == str(tree / "sub" / "nbtrack-store")


def test_without_a_store_a_new_one_goes_to_the_git_top_level(tree):
    subprocess.run(["git", "init", "-q", str(tree)], check=True)
    found = discover_store(tree / "sub" / "deeper", environ={})
    assert found.path == str(tree / "nbtrack-store") and found.source == "new" and not found.exists


def test_without_git_a_new_one_goes_to_the_start_folder_or_the_server_root(tree):
    assert discover_store(tree / "sub", environ={}).path == str(tree / "sub" / "nbtrack-store")
    env = {"NBTRACK_PROJECT_ROOT": str(tree)}
    assert discover_store(tree / "sub", environ=env).path == str(tree / "nbtrack-store")
    elsewhere = {"NBTRACK_PROJECT_ROOT": str(tree / "sub" / "deeper")}  # not above: ignored
    assert discover_store(tree / "sub", environ=elsewhere).path == str(tree / "sub" / "nbtrack-store")


def test_read_only_callers_never_create_a_store(tree, monkeypatch):
    monkeypatch.chdir(tree / "sub")
    with pytest.raises(StoreNotFoundError, match=r"no nbtrack store at .*searched up from .*sub"):
        existing_store_uri()
    with pytest.raises(StoreNotFoundError, match="no nbtrack store at .*typo"):
        existing_store_uri(str(tree / "typo"))
    assert not list(tree.rglob("nbtrack-store")) and not (tree / "typo").exists()


def test_a_kernel_in_a_subfolder_writes_to_the_store_above(tree, monkeypatch):
    TrackingClient = nbtrack.TrackingClient
    TrackingClient(str(tree / "nbtrack-store")).create_experiment("at-root")
    monkeypatch.chdir(tree / "sub" / "deeper")
    assert default_uri() == f"tinydb://{tree / 'nbtrack-store'}"
    assert TrackingClient().get_experiment_by_name("at-root") is not None
    assert not (tree / "sub" / "deeper" / "nbtrack-store").exists()


@pytest.mark.parametrize("uri, expected", [
    ("file:./mlruns", "{cwd}/mlruns"),
    ("file:mlruns", "{cwd}/mlruns"),
    ("file:/abs/store", "/abs/store"),
    ("file:///abs/store", "/abs/store"),
    ("file://localhost/abs/store", "/abs/store"),
    ("tinydb:///abs/store", "/abs/store"),
    ("./rel/store", "{cwd}/rel/store"),
    ("/abs/with%20space", "/abs/with%20space"),
    ("file:///abs/with%20space", "/abs/with space"),
])
def test_uris_resolve_like_mlflow(uri, expected, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert canonical_uri(uri) == "tinydb://" + expected.format(cwd=os.path.realpath(tmp_path))


def test_file_uri_does_not_make_a_folder_named_file_colon(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    store = open_store("file:./mlruns")
    assert Path(store.uri[len("tinydb://"):]) == Path(os.path.realpath(tmp_path)) / "mlruns"
    assert not any(p.name.startswith("file:") for p in tmp_path.iterdir())


@pytest.mark.parametrize("uri", ["file://remote-host/x", "tinydb://host/x", ""])
def test_uris_nbtrack_cannot_use_are_refused(uri):
    with pytest.raises(InvalidParameterError):
        canonical_uri(uri)
