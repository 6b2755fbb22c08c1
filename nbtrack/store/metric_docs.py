"""Metric history documents: per-key chunks of packed columns, sealing, exactly-once commits.

A run's history is the document ``metrics/<run_id>``: one table per metric key holding chunks
in order. The last chunk may be *open*: ``{"packed": <base64>, "count": n}``, the columns of
:mod:`._columns` inline, fewer than ``CHUNK_POINTS``. When a write brings a key to
``CHUNK_POINTS`` or more, the whole multiples are *sealed*: their columns are written once to
their own binary document (:func:`sealed_chunk_name`; one per write and key, up to
``SEAL_MAX_CHUNKS`` chunks' points) and the table keeps ``{"columns": <name>, "count": n}`` in
their place. So a flush rewrites at most one small open chunk per key, however long the history
grows, and a read loads the columns without a Python object per point. Stores written before packed columns hold ``{"step": [...], "value": [...],
"timestamp": [...]}`` chunks (non-finite values spelled as in :mod:`nbtrack._floats`) and
``{"file": <name>, "count": n}`` references to such JSON documents: both still read, and an open
chunk of the old kind is rewritten packed by the next append.

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
from array import array
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from .._floats import NON_FINITE
from .._validation import now_ms
from ..entities import LifecycleStage
from ..errors import RunStateError, StoreCorruptedError
from . import _codec, _columns
from ._columns import Parts
from ._metric_buffer import RunPoints

if TYPE_CHECKING:
    from .documents import Documents

__all__ = ["CHUNK_POINTS", "append_batch", "sealed_chunk_name", "update_latest", "history_parts", "read_sealed"]

CHUNK_POINTS = 5000
#: A write seals its full chunks together, as one file of at most this many chunks' points.
SEAL_MAX_CHUNKS = 64
#: Key in a metrics document (never a valid metric key) mapping writer id -> last batch committed.
COMMITTED = "#committed"

#: Writes a full chunk's columns to their own document and returns the reference kept in its place.
Sealer = Callable[[str, int, Parts], dict[str, Any]]
#: Loads the columns a sealed-chunk reference points to, as arrays or ``_columns.byte_columns``
#: views (raising the store's corruption error).
SealedLoader = Callable[[Mapping[str, Any]], tuple[Any, Any, Any]]


def sealed_chunk_name(run_id: str, key: str, chunk_id: int) -> str:
    """The document a full chunk of ``key`` is sealed into (key hashed: any key makes a safe name)."""
    digest = hashlib.sha1(key.encode()).hexdigest()[:12]
    return f"metrics/{run_id}.{digest}-{chunk_id}"


def append_batch(raw: dict[str, Any], writer_id: str, seq: int, batch: RunPoints, seal: Sealer) -> bool:
    """Append unless this writer's batch ``seq`` is already in the history; True if appended."""
    committed = raw.setdefault(COMMITTED, {})
    if committed.get(writer_id, 0) >= seq:
        return False  # durable already: an earlier try wrote the history, then failed later
    for key, columns in batch.items():
        _append_key(raw.setdefault(key, {}), key, (columns.steps, columns.values, columns.timestamps), seal)
    committed[writer_id] = seq
    return True


def _append_key(table: dict[str, Any], key: str, new: Parts, seal: Sealer) -> None:
    chunk_id = max(map(int, table), default=0)
    last = table.get(str(chunk_id))
    if last is not None and is_open(last):
        steps, values, timestamps = inline_parts(last)
        steps += new[0]
        values += new[1]
        timestamps += new[2]
    else:
        chunk_id += 1
        steps, values, timestamps = new
    start, n = 0, len(timestamps)
    while n - start >= CHUNK_POINTS:  # all full chunks of this write in one file (fewer fsyncs)
        end = start + min((n - start) // CHUNK_POINTS, SEAL_MAX_CHUNKS) * CHUNK_POINTS
        table[str(chunk_id)] = seal(key, chunk_id, (steps[start:end], values[start:end], timestamps[start:end]))
        chunk_id += 1
        start = end
    if start < n:
        rest = (steps[start:], values[start:], timestamps[start:]) if start else (steps, values, timestamps)
        table[str(chunk_id)] = {"packed": _columns.pack_text(*rest), "count": n - start}


def is_open(chunk: Mapping[str, Any]) -> bool:
    """True for a chunk held inline in the history document (not a reference to a sealed one)."""
    return "columns" not in chunk and "file" not in chunk


def inline_parts(chunk: Mapping[str, Any]) -> Parts:
    """Columns of an inline chunk (packed, or the JSON lists of older stores); ValueError if malformed."""
    packed = chunk.get("packed")
    if packed is not None:
        parts = _columns.unpack_text(packed)
    else:
        parts = lists_to_parts(chunk)
    if len(parts[2]) != chunk.get("count", len(parts[2])):
        raise ValueError(f"chunk says {chunk.get('count')} points but holds {len(parts[2])}")
    return parts


def lists_to_parts(chunk: Mapping[str, Any]) -> Parts:
    """Columns of a JSON chunk ``{"step": [...], "value": [...], "timestamp": [...]}``."""
    try:
        steps, values, timestamps = chunk["step"], chunk["value"], chunk["timestamp"]
    except (KeyError, TypeError):
        raise ValueError("metric chunk has no point columns") from None
    if not (isinstance(steps, list) and isinstance(values, list) and isinstance(timestamps, list)):
        raise ValueError("metric chunk columns are not lists")
    if not len(steps) == len(values) == len(timestamps):
        raise ValueError("metric chunk columns differ in length")
    try:
        vals = array("d", values)
    except TypeError:
        vals = array("d", [NON_FINITE[x] if type(x) is str else x for x in values])
    return array("q", steps), vals, array("q", timestamps)


def history_parts(table: Mapping[str, Any], load_sealed: SealedLoader) -> Iterator[tuple[Any, Any, Any]]:
    """The columns of each chunk of one key's table, in order (sealed ones through ``load_sealed``)."""
    for chunk_id in sorted(table, key=int):
        chunk = table[chunk_id]
        yield inline_parts(chunk) if is_open(chunk) else load_sealed(chunk)


def update_latest(run_id: str, doc: dict[str, Any], batch: RunPoints, heartbeat_every_ms: int) -> None:
    """Fold a batch into the run's latest values; idempotent, so a retried batch changes nothing."""
    if doc["lifecycle_stage"] != LifecycleStage.ACTIVE:
        raise RunStateError(f"run {run_id} was deleted")
    latest = doc.setdefault("metrics", {})
    for key, columns in batch.items():
        step, timestamp, value = _newest(columns.steps, columns.timestamps, columns.values)
        if _codec.is_newer(step, timestamp, value, latest.get(key)):
            latest[key] = [_codec.encode_float(value), timestamp, step]
    now = now_ms()
    if now - int(doc.get("heartbeat") or 0) > heartbeat_every_ms:
        doc["heartbeat"] = now


def _newest(steps: array, timestamps: array, values: array) -> tuple[int, int, float]:
    """MLflow's latest point: highest step, then timestamp, then value (C-level scans of the columns)."""
    top = max(steps)
    last = len(steps) - 1
    if steps[last] == top and _first_index(steps, top) == last:  # the usual case: one scan, one memchr
        return top, timestamps[last], values[last]
    return max((s, t, v) for s, t, v in zip(steps, timestamps, values) if s == top)


def _first_index(column: array, item: int) -> int:
    """Index of the first ``item`` in an int64 column, by a byte search (no object per item)."""
    raw, needle = column.tobytes(), array("q", [item]).tobytes()
    at = raw.find(needle)
    while at > 0 and at % 8:  # a match straddling two items
        at = raw.find(needle, at + 1)
    return at // 8


def read_sealed(docs: Documents, ref: Mapping[str, Any]) -> tuple[Any, Any, Any]:
    """The columns of a sealed chunk: packed bytes, or a JSON document of older stores."""
    if "columns" in ref:
        name = ref["columns"]
        where = getattr(docs, "bytes_path", docs.describe)(name)
        data = docs.load_bytes(name)
        if data is None:
            raise StoreCorruptedError(str(where), "sealed metric chunk is missing")
    else:
        name = ref["file"]
        where, data = docs.describe(name), None
    try:
        if data is None:
            parts: tuple[Any, Any, Any] = lists_to_parts(docs.load(name))
            count = len(parts[2])
        else:  # views into the file's bytes where the layout is native: copied once, when joined
            parts = _columns.byte_columns(data) if _columns.NATIVE else _columns.unpack(data)
            count = (len(data) - _columns.HEADER_BYTES) // 24
        if count != ref.get("count", count):
            raise ValueError(f"reference says {ref.get('count')} points, the chunk holds {count}")
    except (ValueError, TypeError, OverflowError) as exc:
        raise StoreCorruptedError(str(where), f"sealed metric chunk is missing or malformed ({exc})") from None
    return parts
