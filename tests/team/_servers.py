"""Real MLflow tracking servers (and a PostgreSQL cluster) for the team tests.

The server runs from its own virtualenv (MLflow's full package; nbtrack's tests only have
``mlflow-skinny``): ``$NBTRACK_MLFLOW_SERVER`` names its ``mlflow`` executable, else the one
``.ci/setup`` creates under ``.ci/venvs/mlflow-server``.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
START_DEADLINE_S = 120.0


def mlflow_executable() -> str | None:
    candidates = [os.environ.get("NBTRACK_MLFLOW_SERVER"), str(ROOT / ".ci/venvs/mlflow-server/bin/mlflow")]
    return next((c for c in candidates if c and Path(c).is_file()), None)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status == 200
    except OSError:
        return False


@dataclass
class MlflowServer:
    """One ``mlflow server`` process; ``stop()`` and ``start()`` keep its port and data."""

    executable: str
    backend_uri: str
    artifacts: Path
    log_path: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None

    @property
    def uri(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> MlflowServer:
        cmd = [self.executable, "server", "--host", "127.0.0.1", "--port", str(self.port),
               "--backend-store-uri", self.backend_uri, "--artifacts-destination", str(self.artifacts),
               "--workers", "1"]
        env = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env,
                                         start_new_session=True)
        deadline = time.monotonic() + START_DEADLINE_S
        while not _answers(f"{self.uri}/health"):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"mlflow server did not start; log:\n{self.log_path.read_text()[-3000:]}")
            time.sleep(0.2)  # polling a readiness probe, not synchronising on time
        return self

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None


def start_sqlite_server(tmp: Path) -> MlflowServer:
    exe = mlflow_executable()
    if exe is None:
        raise FileNotFoundError("no mlflow server executable: run .ci/setup or set $NBTRACK_MLFLOW_SERVER")
    tmp.mkdir(parents=True, exist_ok=True)
    return MlflowServer(exe, f"sqlite:///{tmp / 'mlflow.db'}", tmp / "artifacts", tmp / "server.log").start()


@dataclass
class Postgres:
    """A throwaway PostgreSQL cluster on a random port, run by an unprivileged user."""

    data: Path
    port: int = field(default_factory=free_port)

    def _as_owner(self, *cmd: str) -> list[str]:
        if os.geteuid() != 0:
            return list(cmd)
        return ["runuser", "-u", "nobody", "--", *cmd]

    def start(self) -> Postgres:
        initdb, pg_ctl = shutil.which("initdb") or _pg_bin("initdb"), shutil.which("pg_ctl") or _pg_bin("pg_ctl")
        if not initdb or not pg_ctl:
            raise FileNotFoundError("PostgreSQL's initdb/pg_ctl are not installed (apt-get install postgresql)")
        if os.geteuid() == 0:  # postgres refuses root; pytest's tmp folders are closed to others
            self.data = Path(tempfile.mkdtemp(prefix="nbtrack-pg-")) / "data"
            shutil.chown(self.data.parent, "nobody")
            self.data.mkdir()
            shutil.chown(self.data, "nobody")
        else:
            self.data.mkdir(parents=True)
        subprocess.run(self._as_owner(initdb, "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8"),
                       check=True, capture_output=True)
        opts = f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c fsync=off"
        subprocess.run(self._as_owner(pg_ctl, "-D", str(self.data), "-o", opts, "-l", str(self.data / "log"),
                                      "-w", "-t", "60", "start"), check=True, capture_output=True)
        return self

    @property
    def uri(self) -> str:
        return f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/postgres"  # the driver .ci/setup installs

    def stop(self) -> None:
        pg_ctl = shutil.which("pg_ctl") or _pg_bin("pg_ctl")
        subprocess.run(self._as_owner(pg_ctl, "-D", str(self.data), "-m", "fast", "-w", "stop"), capture_output=True,
                       check=False)
        if self.data.parent.name.startswith("nbtrack-pg-"):
            shutil.rmtree(self.data.parent, ignore_errors=True)


def _pg_bin(name: str) -> str | None:
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    return str(found[-1]) if found else None
