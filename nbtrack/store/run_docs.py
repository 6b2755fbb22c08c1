"""Run documents inside a run shard: where a run lives, how its info changes, when it is stale.

Shards fill in creation order and a run id ends with its shard's number (``SHARD_DIGITS`` hex
digits), so the shard of any run is known from its id alone.
"""
from __future__ import annotations

import os
from collections.abc import Collection
from typing import Any

from .._identity import host_name, pid_alive
from .._validation import now_ms
from ..entities import RunStatus
from ..errors import RunNotFoundError

__all__ = ["SHARD_DIGITS", "STALE_AFTER_MS", "change_info", "is_gone", "last_shard", "shard_name", "shard_of"]

SHARD_DIGITS = 6
#: A RUNNING run from another host with no heartbeat for this long is stale.
STALE_AFTER_MS = 15 * 60_000
_HEX = frozenset("0123456789abcdef")


def shard_of(run_id: str) -> str:
    """The shard document holding ``run_id``; RunNotFoundError if no run can have that id."""
    suffix = run_id[-SHARD_DIGITS:]
    if len(suffix) != SHARD_DIGITS or not all(c in _HEX for c in suffix):
        raise RunNotFoundError(f"No run with id {run_id!r}")
    return f"runs/{suffix}"


def shard_name(number: int) -> str:
    """The shard document of shard ``number``."""
    return f"runs/{number:0{SHARD_DIGITS}x}"


def last_shard(names: list[str]) -> int:
    """Number of the newest of the (sorted) shard ``names``; 0 when there is none yet."""
    return int(names[-1][len("runs/"):], 16) if names else 0


def is_gone(doc: dict[str, Any], now: int, end_failed: Collection[str]) -> bool:
    """True if a RUNNING run's process is gone: its end failed, its pid died, or its heartbeat stopped."""
    if doc.get("end_failed") or doc["run_id"] in end_failed:
        return True
    if doc.get("host") == host_name():
        return not pid_alive(int(doc.get("pid") or 0))
    return now - int(doc.get("heartbeat") or 0) > STALE_AFTER_MS


def change_info(
    doc: dict[str, Any], status: str | None, end_time: int | None, lifecycle_stage: str | None, run_name: str | None
) -> None:
    """Apply the given changes of a run's info to its document (None leaves a field as it is)."""
    if status is not None:
        doc["status"] = status
        doc.pop("end_failed", None)
        if status == RunStatus.RUNNING:
            doc.update(pid=os.getpid(), host=host_name(), heartbeat=now_ms(), end_time=None)
    if end_time is not None:
        doc["end_time"] = end_time
    if lifecycle_stage is not None:
        doc["lifecycle_stage"] = lifecycle_stage
    if run_name is not None:
        doc["run_name"] = run_name
