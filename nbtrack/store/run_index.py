"""Search columns of a run shard: what a search reads, without parsing and building every run.

Searching 100,000 runs used to parse 1,000 shard files (~63 MB of JSON) and build a ``Run`` for
each before filtering. Each shard now has a ``<shard>.cols`` file beside it, written whenever the
shard is rewritten (or, for a shard that has none, by the first search that reads it):

    line 0   {"sig": [inode, mtime_ns, size] of the shard file it describes, "ids": [entry id, ...],
              "cols": {"a:status": 1, "m:acc": 2, "p:model": 3, "t:team": 4, ...}}
    line k   one column: a JSON list in "ids" order, null where a run has no such key
             ("a:" attributes, "m:" latest metric values, "p:" params, "t:" tags)
    then     one line per run: its whole document, in "ids" order

A search parses only the header and the columns its filter and ordering name, tests light
:class:`RunRow` stand-ins (same ``info`` / ``data`` shape as a ``Run``, so the one filter engine
of :mod:`nbtrack.search` applies unchanged), and builds real ``Run`` entities only for the page
it returns. The file is a cache: it is trusted only while its ``sig`` matches the shard file,
entries changed in the shard's journal override its rows, and anything unreadable in it sends the
reader back to the shard itself (whose corruption is reported as before).
"""
from __future__ import annotations

import operator
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import orjson

from .._floats import NON_FINITE
from ..entities import Run
from . import _codec

__all__ = ["ATTRIBUTES", "RunRow", "encode", "rows_from_columns", "rows_from_docs", "runs_from_lines", "shard_rows"]

ATTRIBUTES = ("run_id", "run_name", "experiment_id", "status", "start_time", "end_time",
              "lifecycle_stage", "artifact_uri", "user_id")
#: Attributes every search reads: experiment and stage pick the runs, start time and id order them.
ALWAYS = ("run_id", "experiment_id", "lifecycle_stage", "start_time")
_PREFIX = {"metric": "m:", "param": "p:", "tag": "t:"}
_Fields = tuple[tuple[str, str], ...]  # (entity, key) pairs: "attribute", "metric", "param", "tag"


class _Attrs(dict):
    """A run's attributes that a search reads, as ``info.<name>``."""

    __slots__ = ()
    __getattr__ = dict.__getitem__


class _Data(tuple):
    """``metrics``, ``params`` and ``tags``: only the keys a search reads."""

    __slots__ = ()
    metrics = property(operator.itemgetter(0))
    params = property(operator.itemgetter(1))
    tags = property(operator.itemgetter(2))


class RunRow(tuple):
    """What a filter and an ordering read of one run (``info``, ``data``), and where it lives:
    ``source`` is the run's whole document and ``line`` its shard's name, or ``source`` is
    (shard name, shard signature) and ``line`` the run's line in that shard's ``.cols`` file."""

    __slots__ = ()
    info = property(operator.itemgetter(0))
    data = property(operator.itemgetter(1))
    source = property(operator.itemgetter(2))
    line = property(operator.itemgetter(3))


def _metric_value(value: Any) -> float | None:
    if value is None:
        return None
    return NON_FINITE[value] if type(value) is str else float(value)


def encode(data: dict[str, Any], sig: tuple[int, int, int]) -> bytes | None:
    """The ``.cols`` file of a shard document; None if a run record is malformed (the shard's
    own reader reports that)."""
    runs = data.get("runs", {})
    ids = list(runs)
    docs = list(runs.values())
    columns: dict[str, list[Any]] = {}
    try:
        for name in ATTRIBUTES:
            columns["a:" + name] = [d.get(name) for d in docs]
        for field, prefix in (("metrics", "m:"), ("params", "p:"), ("tags", "t:")):
            keys = sorted({k for d in docs for k in d.get(field) or {}})
            for key in keys:
                if field == "metrics":
                    columns[prefix + key] = [((d.get(field) or {}).get(key) or (None,))[0] for d in docs]
                else:
                    columns[prefix + key] = [(d.get(field) or {}).get(key) for d in docs]
        lines = [orjson.dumps(col) for col in columns.values()]
        lines.extend(orjson.dumps(d) for d in docs)
    except (AttributeError, TypeError, KeyError, IndexError, orjson.JSONEncodeError):
        return None
    header = {"sig": list(sig), "ids": ids, "cols": {name: i for i, name in enumerate(columns, start=1)}}
    return b"\n".join([orjson.dumps(header), *lines]) + b"\n"


def _needed(fields: _Fields) -> tuple[list[str], list[tuple[str, list[str]]]]:
    attrs = list(ALWAYS)
    keyed: dict[str, list[str]] = {"m:": [], "p:": [], "t:": []}
    for entity, key in fields:
        if entity == "attribute":
            if key not in attrs:
                attrs.append(key)
        elif key not in keyed[_PREFIX[entity]]:
            keyed[_PREFIX[entity]].append(key)
            if entity == "tag" and key == "mlflow.runName" and "run_name" not in attrs:
                attrs.append("run_name")  # the tag falls back to the run name
    return attrs, list(keyed.items())


def rows_from_columns(
    name: str,
    raw: bytes,
    sig: tuple[int, int, int],
    skip: set[str],
    fields: _Fields,
    keep: Callable[[Any], bool],
    experiments: Collection[str],
    stages: Collection[str] | None = None,
) -> list[RunRow] | None:
    """Rows of the runs of ``experiments`` (in ``stages``, if given) in a ``.cols`` file (except
    entry ids in ``skip``) that ``keep`` accepts; None when the file does not describe the shard file of signature
    ``sig`` or is unreadable. Only the header and the columns ``fields`` name are parsed."""
    try:
        header = orjson.loads(raw[: raw.index(b"\n")])
        if header.get("sig") != list(sig):
            return None
        ids, cols = header["ids"], header["cols"]
        lines = raw.split(b"\n", len(cols) + 1)  # the header, the columns, then the runs unsplit
        n = len(ids)
        empty = [None] * n

        def column(col: str) -> list[Any]:
            line = cols.get(col)
            found = empty if line is None else orjson.loads(lines[line])
            if len(found) != n:
                raise ValueError(f"column {col} has {len(found)} values for {n} runs")
            return found

        attrs, keyed = _needed(fields)
        attr_rows = list(zip(*[column("a:" + a) for a in attrs]))
        experiment_col = [r[1] for r in attr_rows]  # ALWAYS[1] is experiment_id, ALWAYS[2] the stage
        wanted = [e in experiments and (stages is None or r[2] in stages) for e, r in zip(experiment_col, attr_rows)]
        (mkeys, mcols), (pkeys, pcols), (tkeys, tcols) = [
            (keys, [column(prefix + k) for k in keys]) for prefix, keys in keyed
        ]
        mcols = [[_metric_value(v) for v in col] for col in mcols]
        metrics, params, tags = _dicts(mkeys, mcols, n), _dicts(pkeys, pcols, n), _dicts(tkeys, tcols, n)
        shard = (name, sig)
        first_row = 1 + len(cols)
        out = []
        for i in range(n):
            if not wanted[i] or (skip and ids[i] in skip):
                continue
            row = RunRow((_Attrs(zip(attrs, attr_rows[i])), _Data((metrics[i], params[i], tags[i])), shard, first_row + i))
            if keep(row):
                out.append(row)
        return out
    except (orjson.JSONDecodeError, TypeError, KeyError, IndexError, ValueError, AttributeError):
        return None


_EMPTY: dict[str, Any] = {}  # shared by rows without any of the keys read: rows are never changed


def _dicts(keys: list[str], cols: list[list[Any]], n: int) -> list[dict[str, Any]]:
    """Per run, the non-null values of ``keys`` (columns ``cols``), as a dict."""
    if not keys:
        return [_EMPTY] * n
    if len(keys) == 1:
        key = keys[0]
        return [_EMPTY if v is None else {key: v} for v in cols[0]]
    return [{k: v for k, v in zip(keys, values) if v is not None} for values in zip(*cols)]


def rows_from_docs(
    docs: Iterable[dict[str, Any]], fields: _Fields, keep: Callable[[Any], bool], shard: str = ""
) -> list[RunRow]:
    """Rows of whole run documents of ``shard`` (one without a usable ``.cols`` file, journal entries)."""
    attrs, keyed = _needed(fields)
    mkeys = keyed[0][1]
    out = []
    for doc in docs:
        metrics = doc.get("metrics") or {}
        latest = {k: _metric_value(metrics[k][0]) for k in mkeys if k in metrics}
        info = _Attrs((a, doc[a] if a in ALWAYS else doc.get(a, "" if a == "user_id" else None)) for a in attrs)
        row = RunRow((info, _Data((latest, doc.get("params") or {}, doc.get("tags") or {})), doc, shard))
        if keep(row):
            out.append(row)
    return out


def shard_rows(
    docs: Any,
    name: str,
    fields: _Fields,
    keep: Callable[[Any], bool],
    experiments: Collection[str],
    stages: Collection[str] | None = None,
) -> list[RunRow]:
    """Rows of the runs of ``experiments`` (in ``stages``, if given) in shard ``name`` that ``keep``
    accepts: from its ``.cols`` file and journal when the documents have them, else from the
    shard's documents."""
    keep_doc = _in_experiments(experiments, stages, keep)
    reader = getattr(docs, "read_with_sidecar", None)
    if reader is None:
        return rows_from_docs(docs.read(name).get("runs", {}).values(), fields, keep_doc, name)
    records, sig, raw = reader(name)
    if sig is None:
        return []
    changed: dict[str, Any] = {}
    for record in records:
        for table, entry_id, entry in record:
            if table == "runs":
                changed[entry_id] = entry
    rows = rows_from_columns(name, raw, sig, set(changed), fields, keep, experiments, stages) if raw else None
    if rows is None:
        data, _ = docs.read_base(name)
        base = (data or {}).get("runs", {})
        rows = rows_from_docs((d for i, d in base.items() if i not in changed), fields, keep_doc, name)
    rows.extend(rows_from_docs((d for d in changed.values() if d is not None), fields, keep_doc, name))
    return rows


def _in_experiments(
    experiments: Collection[str], stages: Collection[str] | None, keep: Callable[[Any], bool]
) -> Callable[[Any], bool]:
    return lambda row: (
        row.info["experiment_id"] in experiments
        and (stages is None or row.info["lifecycle_stage"] in stages)
        and keep(row)
    )


def runs_from_lines(
    rows: list[Any],
    read: Callable[[str], bytes | None],
    fallback: Callable[[str], Iterator[dict[str, Any]]],
    decoding: Callable[[str], AbstractContextManager[None]],
) -> list[Run]:
    """Build the ``Run`` of each row, reading each shard's ``.cols`` file once (``read(name)``).

    A file changed since the search read it is not trusted: the runs come from the shard itself
    (``fallback(name)``, its current documents), so they are never older than the filter's view.
    A malformed run document raises what ``decoding(shard name)`` makes of it.
    """
    by_shard: dict[str, list[bytes] | None] = {}
    by_id: dict[str, dict[str, dict[str, Any]]] = {}
    out: list[Run] = []
    for row in rows:
        if isinstance(row, Run):
            out.append(row)
            continue
        if isinstance(row.source, dict):
            with decoding(row.line):
                out.append(_codec.run_from_doc(row.source))
            continue
        name, sig = row.source
        if name not in by_shard:
            raw = read(name)
            lines = raw.split(b"\n") if raw else None
            try:
                ok = lines is not None and orjson.loads(lines[0]).get("sig") == list(sig)
            except (orjson.JSONDecodeError, AttributeError):
                ok = False
            by_shard[name] = lines if ok else None
        lines = by_shard[name]
        if lines is not None:
            try:
                out.append(_codec.run_from_doc(orjson.loads(lines[row.line])))
                continue
            except (orjson.JSONDecodeError, IndexError, KeyError, TypeError, AttributeError):
                pass  # a damaged cache line: the shard itself decides
        with decoding(name):
            if name not in by_id:
                by_id[name] = {d["run_id"]: d for d in fallback(name)}
            doc = by_id[name].get(row.info.run_id)
            if doc is not None:
                out.append(_codec.run_from_doc(doc))
    return out
