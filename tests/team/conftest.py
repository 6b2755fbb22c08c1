"""Fixtures for the team path: one real MLflow tracking server for the whole run (sqlite
backend), a second one on PostgreSQL started on demand, and fresh experiments on them."""
from __future__ import annotations

import importlib.util
import sys
import uuid
from pathlib import Path

import pytest

import nbtrack
from nbtrack.fluent import runs as fluent

pytest.importorskip("mlflow", reason="the team path needs the extra nbtrack[mlflow] (mlflow-skinny)")



def _helper(name: str):
    """A helper module of this folder (tests are imported by path, not as a package)."""
    spec = importlib.util.spec_from_file_location(f"_team{name}", Path(__file__).with_name(f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


servers = _helper("_servers")
proxies = _helper("_proxy")


def _mlflow_or_fail() -> str:
    executable = servers.mlflow_executable()
    if executable is None:
        pytest.fail("no mlflow server: .ci/setup creates .ci/venvs/mlflow-server (or set $NBTRACK_MLFLOW_SERVER)")
    return executable


def _start_or_fail(tmp: Path) -> servers.MlflowServer:
    _mlflow_or_fail()
    return servers.start_sqlite_server(tmp)


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory):
    """A real ``mlflow server`` on 127.0.0.1 (sqlite, artifacts in tmp), shared by the test run."""
    server = _start_or_fail(tmp_path_factory.mktemp("mlflow-server"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory):
    """An MLflow server whose backend store is a throwaway PostgreSQL cluster."""
    executable = _mlflow_or_fail()
    try:
        pg = servers.Postgres(tmp_path_factory.mktemp("pg") / "data").start()
    except (OSError, servers.subprocess.CalledProcessError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        pytest.skip(f"PostgreSQL cannot start here: {exc} {detail.decode(errors='replace')[-300:]}")
    tmp = tmp_path_factory.mktemp("mlflow-pg")
    server = servers.MlflowServer(executable, pg.uri, tmp / "artifacts", tmp / "server.log")
    try:
        server.start()
    except RuntimeError:
        pg.stop()
        raise
    yield server
    server.stop()
    pg.stop()


@pytest.fixture(params=["sqlite", "postgres"])
def any_server(request):
    """Each server configuration in turn."""
    return request.getfixturevalue("mlflow_server" if request.param == "sqlite" else "postgres_server")


@pytest.fixture
def server_uri(mlflow_server):
    """The shared server set as the fluent tracking URI; each test gets its own experiment."""
    nbtrack.set_tracking_uri(mlflow_server.uri)
    nbtrack.set_experiment(f"test-{uuid.uuid4().hex[:12]}")
    yield mlflow_server.uri
    fluent._reset()


@pytest.fixture
def mlflow_client(mlflow_server):
    """MLflow's own client on the shared server: the reference reader."""
    from mlflow.tracking import MlflowClient

    return MlflowClient(mlflow_server.uri)


@pytest.fixture
def proxy(mlflow_server):
    """A TCP proxy in front of the shared server, to stop and restart the line to it."""
    line = proxies.Proxy(mlflow_server.port).up()
    yield line
    line.down()
