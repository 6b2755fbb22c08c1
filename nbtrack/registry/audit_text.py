"""Readable text for the registry's audit trail, shared by the notebook panel and the REST API.

An audit event keeps the raw ``before``/``after`` values; people read what changed:
``stage: None → Staging``, ``alias: champion; version: 1``, run ids cut to 8 characters and
model sources as short paths. Values empty on both sides (no description, no tags) are left out.
"""
from __future__ import annotations

import os
import re
from typing import Any

__all__ = ["describe_change", "short_path"]

_EMPTY: tuple[Any, ...] = (None, "", {}, [], ())
_RUN_ID_PART = re.compile(r"(?<![0-9a-f])([0-9a-f]{8})[0-9a-f]{24}(?![0-9a-f])")


def short_path(source: str) -> str:
    """A model source as a short path: relative to the working folder, else from ``artifacts/``;
    run ids in it cut to 8 characters."""
    return _RUN_ID_PART.sub(r"\1…", _relative(source))


def _relative(source: str) -> str:
    path = source[len("file://"):] if source.startswith("file://") else source
    if not os.path.isabs(path):
        return path
    rel = os.path.relpath(path)
    if not rel.startswith(".."):
        return rel
    if "/artifacts/" in path:
        return "artifacts/" + path.split("/artifacts/", 1)[1]
    return "…/" + "/".join(path.rstrip("/").split("/")[-2:])


def _shown(key: str, value: Any) -> str:
    if key == "run_id" and isinstance(value, str) and value:
        return value[:8]
    if key == "source" and isinstance(value, str):
        return short_path(value)
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    return str(value)


def describe_change(before: Any, after: Any) -> str:
    """What an audit event changed, as plain text (callers escape it for HTML)."""
    if isinstance(before, dict) or isinstance(after, dict):
        old = before if isinstance(before, dict) else {}
        new = after if isinstance(after, dict) else {}
        parts = []
        for key in dict.fromkeys([*old, *new]):
            a, b = old.get(key), new.get(key)
            if a == b or (a in _EMPTY and b in _EMPTY):
                continue
            if key not in new:
                parts.append(f"{key}: {_shown(key, a)} removed")
            elif a in _EMPTY and key not in old:
                parts.append(f"{key}: {_shown(key, b)}")
            else:
                parts.append(f"{key}: {_shown(key, a)} → {_shown(key, b)}")
        return "; ".join(parts)
    if before in _EMPTY and after in _EMPTY:
        return ""
    if before in _EMPTY:
        return str(after)
    return f"{before} → {'' if after is None else after}"
