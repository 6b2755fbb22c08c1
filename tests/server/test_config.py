"""Which store the server serves: NBTRACK_TRACKING_URI, else NbtrackConfig.tracking_uri, else
the store rule searched up from root_dir (what a notebook under the root finds)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from jupyter_server.serverapp import ServerApp
from traitlets.config import Config

from nbtrack import _jupyter_labextension_paths
from nbtrack.client import TrackingClient
from nbtrack.server import _jupyter_server_extension_points
from nbtrack.server.config import resolve_tracking_uri

API = "nbtrack/api"
REPO = Path(__file__).resolve().parents[2]


def _app(root: Path, tracking_uri: str | None = None) -> ServerApp:
    config = Config({"NbtrackConfig": {"tracking_uri": tracking_uri}} if tracking_uri else {})
    return ServerApp(root_dir=str(root), config=config)


def test_default_is_store_in_server_root(tmp_path):
    assert resolve_tracking_uri(_app(tmp_path), environ={}) == f"tinydb://{tmp_path / 'nbtrack-store'}"


def test_default_is_the_nearest_store_above_the_root(tmp_path):
    (tmp_path / "nbtrack-store").mkdir()
    (tmp_path / "root").mkdir()
    uri = resolve_tracking_uri(_app(tmp_path / "root"), environ={})
    assert uri == f"tinydb://{tmp_path / 'nbtrack-store'}"


def test_setting_beats_default(tmp_path):
    app = _app(tmp_path, "memory:from-setting")
    assert resolve_tracking_uri(app, environ={}) == "memory:from-setting"


def test_env_beats_setting(tmp_path):
    app = _app(tmp_path, "memory:from-setting")
    env = {"NBTRACK_TRACKING_URI": "tinydb:///elsewhere"}
    assert resolve_tracking_uri(app, environ=env) == "tinydb:///elsewhere"


def test_blank_env_is_ignored(tmp_path):
    uri = resolve_tracking_uri(_app(tmp_path), environ={"NBTRACK_TRACKING_URI": "  "})
    assert uri == f"tinydb://{tmp_path / 'nbtrack-store'}"


@pytest.fixture
def jp_server_config():
    """No NbtrackConfig at all: env var or the <root_dir>/nbtrack-store default decide."""
    return {"ServerApp": {"jpserver_extensions": {"nbtrack.server": True}}}


@pytest.fixture
def no_env(monkeypatch) -> None:
    monkeypatch.delenv("NBTRACK_TRACKING_URI", raising=False)


async def test_server_serves_root_store_by_default(no_env, jp_root_dir, jp_fetch):
    TrackingClient(str(jp_root_dir / "nbtrack-store")).create_experiment("from-root")
    body = json.loads((await jp_fetch(API, "experiments")).body)
    assert "from-root" in {e["name"] for e in body["experiments"]}
    assert body["tracking_uri"] == f"tinydb://{Path(jp_root_dir).resolve() / 'nbtrack-store'}"


@pytest.fixture
def env_store(tmp_path, monkeypatch) -> str:
    uri = f"tinydb://{tmp_path / 'env-store'}"
    monkeypatch.setenv("NBTRACK_TRACKING_URI", uri)
    TrackingClient(uri).create_experiment("from-env")
    return uri


async def test_server_serves_env_store(env_store, jp_root_dir, jp_fetch):
    TrackingClient(str(jp_root_dir / "nbtrack-store")).create_experiment("from-root")
    names = {e["name"] for e in json.loads((await jp_fetch(API, "experiments")).body)["experiments"]}
    assert "from-env" in names and "from-root" not in names


def test_extension_entry_points():
    assert _jupyter_server_extension_points() == [{"module": "nbtrack.server"}]
    (path,) = _jupyter_labextension_paths()
    assert path["dest"] == "nbtrack"
    import nbtrack

    built = (Path(nbtrack.__file__).parent / path["src"]).resolve()
    assert built == REPO / "nbtrack" / "labextension"


def test_server_config_enables_extension():
    data = json.loads((REPO / "jupyter-config" / "server-config" / "nbtrack.json").read_text())
    assert data == {"ServerApp": {"jpserver_extensions": {"nbtrack.server": True}}}
