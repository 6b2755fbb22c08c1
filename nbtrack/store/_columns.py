"""Metric points as packed binary columns: the on-disk form of history chunks.

A packed chunk is a 16-byte header (the magic ``NBCOL1``, two zero bytes, the point count as a
little-endian unsigned 64-bit integer) followed by three little-endian columns of that many
items: steps (int64), values (IEEE 754 float64, so NaN and +-inf are stored as they are) and
timestamps (int64, ms since the epoch). 24 bytes a point. Packing is three ``array.tobytes``
calls and unpacking three ``array.frombytes``: no Python object per point either way, which is
what lets a million-point history load in tens of milliseconds. Sealed chunks are files of these
bytes; the open chunk inside the JSON history document holds the same bytes in base64.
"""
from __future__ import annotations

import base64
import struct
import sys
from array import array
from typing import Any

__all__ = ["Parts", "pack", "unpack", "byte_columns", "join", "pack_text", "unpack_text", "HEADER_BYTES"]

MAGIC = b"NBCOL1\0\0"
_HEADER = struct.Struct("<8sQ")
HEADER_BYTES = _HEADER.size
_SWAP = sys.byteorder != "little"
#: True where packed bytes are the machine's own layout (byte views can be joined as they are).
NATIVE = not _SWAP

#: One chunk's columns: (steps int64, values float64, timestamps int64), equal lengths.
Parts = tuple[array, array, array]


def pack(steps: array, values: array, timestamps: array) -> bytes:
    """The header and the three columns as bytes (the arrays are not changed)."""
    n = len(timestamps)
    if not len(steps) == len(values) == n:
        raise ValueError("columns must have the same length")
    cols = (steps, values, timestamps)
    if _SWAP:
        cols = tuple(_swapped(c) for c in cols)  # type: ignore[assignment]
    return b"".join((_HEADER.pack(MAGIC, n), *(c.tobytes() for c in cols)))


def unpack(data: bytes | memoryview) -> Parts:
    """The columns of packed bytes; ``ValueError`` saying what is wrong if they are not such bytes."""
    out = []
    for code, raw in zip("qdq", byte_columns(data)):
        col = array(code)
        col.frombytes(raw)
        if _SWAP:
            col.byteswap()
        out.append(col)
    return out[0], out[1], out[2]


def byte_columns(data: bytes | memoryview) -> tuple[memoryview, memoryview, memoryview]:
    """The three columns of packed bytes as little-endian byte views (no copy); ValueError if malformed."""
    view = memoryview(data)
    if len(view) < HEADER_BYTES:
        raise ValueError(f"{len(view)} bytes: too short for a packed metric chunk")
    magic, n = _HEADER.unpack_from(view)
    if magic != MAGIC:
        raise ValueError("not a packed metric chunk (bad magic bytes)")
    if len(view) != HEADER_BYTES + 24 * n:
        raise ValueError(f"header says {n} points ({HEADER_BYTES + 24 * n} bytes) but there are {len(view)} bytes")
    a, b = HEADER_BYTES + 8 * n, HEADER_BYTES + 16 * n
    return view[HEADER_BYTES:a], view[a:b], view[b:]


def join(parts: list[tuple[Any, Any, Any]]) -> Parts:
    """Columns of several chunks joined, each part given as arrays or as ``byte_columns`` views.

    Every column is copied once into its final array: byte views straight from the file's bytes
    (``byte_columns`` views are little-endian: use them only where ``NATIVE`` is true).
    """
    out = []
    for i, code in enumerate("qdq"):
        col = array(code)
        for part in parts:
            src = part[i]
            if isinstance(src, array):
                col += src
            else:
                col.frombytes(src)
        out.append(col)
    return out[0], out[1], out[2]


def pack_text(steps: array, values: array, timestamps: array) -> str:
    """``pack`` as base64 text, to sit in a JSON document."""
    return base64.b64encode(pack(steps, values, timestamps)).decode("ascii")


def unpack_text(text: str) -> Parts:
    """The columns of ``pack_text`` output; ``ValueError`` if it is not such text."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError, AttributeError) as exc:
        raise ValueError(f"packed metric chunk is not base64 text ({exc})") from None
    return unpack(raw)


def _swapped(col: array) -> array:
    copy = array(col.typecode, col)
    copy.byteswap()
    return copy
