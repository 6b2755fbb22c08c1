"""Metric history documents: per-key chunks of parallel columns, sealing, exactly-once commits.

A run's history is the document ``metrics/<run_id>``: one table per metric key holding chunk
documents of parallel arrays (step, value, timestamp). A chunk that reaches ``CHUNK_POINTS`` is
sealed into its own immutable document (:func:`sealed_chunk_name`) and replaced by a reference,
so a flush rewrites at most one open chunk per key, however long the run's history grows.

Exactly-once rule for metric points. The metric buffer hands the store one batch per run, tagged
with its writer id (one per process and store) and a sequence number that grows with every new
batch of that writer. Committing a batch is two writes, in this order:

1. the history (``metrics/<run_id>``, plus any chunk it seals): appended only if the document's
   ``#committed[writer id]`` is below the batch's number, and that number is recorded in the
   same atomic replace as the points;
2. the run's latest values and heartbeat: a max over the batch, so applying it twice is a no-op.

A batch that failed anywhere is retried with the same number before any newer point of its run,
so a retry re-does step 2 but can never append step 1 again. A chunk sealed by a write that then
failed is rewritten under the same name by the retry. Kill -9 between the writes leaves at worst
latest values behind the history (never ahead) until the run's next newer point.
"""
from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from typing import Any

from .._validation import now_ms
from ..entities import LifecycleStage
from ..errors import RunStateError
from . import _codec
from ._metric_buffer import RunPoints

__all__ = ["CHUNK_POINTS", "append_batch", "sealed_chunk_name", "update_latest"]

CHUNK_POINTS = 5000
#: Key in a metrics document (never a valid metric key) mapping writer id -> last batch committed.
COMMITTED = "#committed"

#: Writes a full chunk to its own document and returns the reference kept in its place.
Sealer = Callable[[str, int, dict[str, Any]], dict[str, Any]]


def sealed_chunk_name(run_id: str, key: str, chunk_id: int) -> str:
    """The document a full chunk of ``key`` is sealed into (key hashed: any key makes a safe name)."""
    digest = hashlib.sha1(key.encode()).hexdigest()[:12]
    return f"metrics/{run_id}.{digest}-{chunk_id}"


def append_batch(raw: dict[str, Any], writer_id: str, seq: int, batch: RunPoints, seal: Sealer) -> bool:
    """Append unless this writer's batch ``seq`` is already in the history; True if appended."""
    committed = raw.setdefault(COMMITTED, {})
    if committed.get(writer_id, 0) >= seq:
        return False  # durable already: an earlier try wrote the history, then failed later
    _append_columns(raw, batch, seal)
    committed[writer_id] = seq
    return True


def _append_columns(raw: dict[str, Any], batch: RunPoints, seal: Sealer) -> None:
    enc = _codec.encode_float
    for key, columns in batch.items():
        steps, values, timestamps = columns.steps, columns.values, columns.timestamps
        table = raw.setdefault(key, {})
        chunk_id = max(map(int, table), default=0)
        chunk = table.get(str(chunk_id))
        start = 0
        while start < len(steps):
            if chunk is None or "file" in chunk or len(chunk["step"]) >= CHUNK_POINTS:
                chunk_id += 1
                chunk = table[str(chunk_id)] = {"step": [], "value": [], "timestamp": []}
            end = start + CHUNK_POINTS - len(chunk["step"])
            chunk["step"].extend(steps[start:end])
            part = values[start:end]
            # sum() is finite only if every value is: one C-level check, then a plain copy.
            chunk["value"].extend(part if math.isfinite(sum(part)) else [enc(x) for x in part])
            chunk["timestamp"].extend(timestamps[start:end])
            start = end
            if len(chunk["step"]) >= CHUNK_POINTS:
                chunk = table[str(chunk_id)] = seal(key, chunk_id, chunk)


def update_latest(run_id: str, doc: dict[str, Any], batch: RunPoints, heartbeat_every_ms: int) -> None:
    """Fold a batch into the run's latest values; idempotent, so a retried batch changes nothing."""
    if doc["lifecycle_stage"] != LifecycleStage.ACTIVE:
        raise RunStateError(f"run {run_id} was deleted")
    latest = doc.setdefault("metrics", {})
    for key, columns in batch.items():
        # MLflow's rule: highest step, then timestamp, then value.
        step, timestamp, value = max(zip(columns.steps, columns.timestamps, columns.values))
        if _codec.is_newer(step, timestamp, value, latest.get(key)):
            latest[key] = [_codec.encode_float(value), timestamp, step]
    now = now_ms()
    if now - int(doc.get("heartbeat") or 0) > heartbeat_every_ms:
        doc["heartbeat"] = now
