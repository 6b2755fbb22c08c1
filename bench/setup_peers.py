"""Create one venv per peer tracker for the side-by-side benchmark (pip only).

    python bench/setup_peers.py            # every peer that is missing or at the wrong version
    python bench/setup_peers.py mlflow aim # only these

Each peer lives in ``bench/.venvs/<peer>`` (gitignored, never used by tests or CI), installed
from ``bench/requirements-<peer>.txt``, which pins the version the README reports. A peer that
cannot be installed is reported and skipped; ``run.py`` then leaves its column out.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

__all__ = ["PEERS", "venv_python", "pinned_version", "installed_version", "ensure_peer", "main"]

HERE = Path(__file__).resolve().parent
VENVS = HERE / ".venvs"
#: Peer name -> the module whose ``__version__`` proves the install.
PEERS = {"mlflow": "mlflow", "trackio": "trackio", "aim": "aim"}


def venv_python(peer: str) -> Path:
    return VENVS / peer / "bin" / "python"


def pinned_version(peer: str) -> str:
    for line in (HERE / f"requirements-{peer}.txt").read_text().splitlines():
        if line.startswith(f"{peer}=="):
            return line.split("==", 1)[1].strip()
    raise ValueError(f"requirements-{peer}.txt pins no {peer}==version")


def installed_version(peer: str) -> str:
    py = venv_python(peer)
    if not py.exists():
        return ""
    probe = f"import {PEERS[peer]}, importlib.metadata as m; print(m.version({peer!r}))"
    done = subprocess.run([str(py), "-c", probe], capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else ""


def ensure_peer(peer: str) -> bool:
    """Install ``peer`` into its venv unless the pinned version is there; True if usable."""
    want = pinned_version(peer)
    if installed_version(peer) == want:
        return True
    print(f"installing {peer}=={want} into {VENVS / peer} (a few minutes, once) ...", flush=True)
    VENVS.mkdir(exist_ok=True)
    log_path = VENVS / f"{peer}-pip.log"
    with open(log_path, "w") as log:
        subprocess.run([sys.executable, "-m", "venv", str(VENVS / peer)], check=True)
        done = subprocess.run([str(venv_python(peer)), "-m", "pip", "install",
                               "-r", str(HERE / f"requirements-{peer}.txt")],
                              stdout=log, stderr=subprocess.STDOUT)
    ok = done.returncode == 0 and installed_version(peer) == want
    if not ok:
        print(f"  {peer} could not be installed; see {log_path}", flush=True)
    return ok


def main(argv: list[str]) -> None:
    peers = argv or list(PEERS)
    unknown = set(peers) - set(PEERS)
    if unknown:
        raise SystemExit(f"unknown peers {sorted(unknown)}: choose from {list(PEERS)}")
    for peer in peers:
        print(f"{peer}: {'ok' if ensure_peer(peer) else 'NOT INSTALLED'}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
