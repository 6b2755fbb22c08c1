"""The store rule's order (DESIGN.md, "The store"): ``$NBTRACK_TRACKING_URI``, else
``set_tracking_uri()``, else the nearest ``nbtrack-store/`` folder, else a new one."""
from __future__ import annotations

import pytest

import nbtrack
from nbtrack.client import TrackingClient


@pytest.fixture
def folders(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for var in ("NBTRACK_TRACKING_URI", "NBTRACK_PROJECT_ROOT", "NBTRACK_NOTEBOOK", "JPY_SESSION_NAME"):
        monkeypatch.delenv(var, raising=False)
    (tmp_path / "nbtrack-store").mkdir()
    return tmp_path


def test_set_tracking_uri_beats_the_folders(folders):
    assert nbtrack.get_tracking_uri() == f"tinydb://{folders.resolve() / 'nbtrack-store'}"
    nbtrack.set_tracking_uri(str(folders / "chosen"))
    assert nbtrack.get_tracking_uri() == f"tinydb://{folders.resolve() / 'chosen'}"


def test_the_variable_comes_before_set_tracking_uri(folders, monkeypatch):
    monkeypatch.setenv("NBTRACK_TRACKING_URI", str(folders / "from-env"))
    with pytest.warns(UserWarning, match="NBTRACK_TRACKING_URI is set and comes first"):
        nbtrack.set_tracking_uri(str(folders / "chosen"))
    env_uri = f"tinydb://{folders.resolve() / 'from-env'}"
    assert nbtrack.get_tracking_uri() == env_uri
    with nbtrack.start_run() as run:
        nbtrack.log_param("p", 1)
    assert TrackingClient(env_uri).get_run(run.info.run_id).data.params == {"p": "1"}
    monkeypatch.delenv("NBTRACK_TRACKING_URI")
    assert nbtrack.get_tracking_uri() == f"tinydb://{folders.resolve() / 'chosen'}"


def test_agreeing_choices_do_not_warn(folders, monkeypatch, recwarn):
    monkeypatch.setenv("NBTRACK_TRACKING_URI", str(folders / "same"))
    nbtrack.set_tracking_uri(str(folders / "same"))
    assert not [w for w in recwarn if "comes first" in str(w.message)]
