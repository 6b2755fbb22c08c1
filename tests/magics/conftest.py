"""A real IPython InteractiveShell with the nbtrack extension, on a TinyDB store in tmp_path."""
from __future__ import annotations

from tests._support.env import python_env
from tests._support.runs import all_runs, artifact_text
from tests._support.shell import ip, shell
from tests._support.store import client, store_uri

__all__ = ["all_runs", "artifact_text", "client", "ip", "python_env", "shell", "store_uri"]
