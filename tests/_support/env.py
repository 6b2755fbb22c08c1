"""This checkout, first on the path of every child Python, kernel and server a test starts."""
from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def checkout_pythonpath() -> str:
    """``PYTHONPATH`` with this checkout ahead of what was there."""
    path = os.environ.get("PYTHONPATH")
    return f"{REPO}{os.pathsep}{path}" if path else str(REPO)


def python_env() -> dict[str, str]:
    """Environment for a child Python that must import this checkout of nbtrack."""
    return {**os.environ, "PYTHONPATH": checkout_pythonpath()}
