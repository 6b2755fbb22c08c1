"""Search columns of a run shard: what a search reads, without parsing and building every run.

Searching 100,000 runs used to parse 1,000 shard files (~63 MB of JSON) and build a ``Run`` for
each before filtering. Each shard now has a ``<shard>.cols`` file beside it, written whenever the
shard is rewritten (or, for a shard that has none, by the first search that reads it):

    line 0   {"v": 2, "sig": [inode, mtime_ns, size] of the shard file it describes,
              "index": length of line 1, "head": bytes from line 1 to the first document}
    line 1   {"ids": [entry id, ...], "cols": {"a:status": [start, end], "m:acc": [...], ...},
              "docs": [start of each run's line, ..., end of the last]}
    then     one line per column: a JSON list in "ids" order, null where a run has no such key
             ("a:" attributes, "m:" latest metric values, "p:" params, "t:" tags)
    then     one line per run: its whole document, in "ids" order

Offsets in line 1 count bytes from the start of line 2. A search reads only the file's head
(lines 0, 1 and the columns, about 30% of it: :func:`read_columns`) and slices out the columns
it needs; the page it returns then reads just the lines of its runs' documents (seeking to each)
and never the rest. A file without ``"v": 2`` (an older format) is not trusted: the shard is
read instead and the file rebuilt.

A search parses only the header and the columns its filter and ordering name, narrows the runs
with the filter applied to those columns (:mod:`nbtrack.search.columns`), tests light
:class:`RunRow` stand-ins for the runs left (same ``info`` / ``data`` shape as a ``Run``, so the one filter engine
of :mod:`nbtrack.search` applies unchanged), and builds real ``Run`` entities only for the page
it returns. The file is a cache: it is trusted only while its ``sig`` matches the shard file,
entries changed in the shard's journal override its rows, and anything unreadable in it sends the
reader back to the shard itself (whose corruption is reported as before).
"""
from __future__ import annotations

import operator
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import AbstractContextManager
from itertools import compress
from types import SimpleNamespace
from typing import Any, BinaryIO

import orjson

from .._floats import NON_FINITE
from ..entities import Run
from ..search.columns import column_filter
from . import _codec

__all__ = ["ATTRIBUTES", "RunRow", "encode", "rows_from_columns", "rows_from_docs", "runs_from_lines", "shard_rows"]

ATTRIBUTES = ("run_id", "run_name", "experiment_id", "status", "start_time", "end_time",
              "lifecycle_stage", "artifact_uri", "user_id")
#: Attributes every search reads: experiment and stage pick the runs, start time and id order them.
ALWAYS = ("run_id", "experiment_id", "lifecycle_stage", "start_time")
#: The ``.cols`` format this module writes and reads; a file of any other is rebuilt from its shard.
VERSION = 2
_FIRST_READ = 64 * 1024  # a search's first read of a .cols file: usually all it parses
_PAGE_FIRST_READ = 8 * 1024  # a page's first read: usually the lead and index lines
_PREFIX = {"metric": "m:", "param": "p:", "tag": "t:"}
_Fields = tuple[tuple[str, str], ...]  # (entity, key) pairs: "attribute", "metric", "param", "tag"


class _Attrs(SimpleNamespace):
    """A run's attributes that a search reads, as ``info.<name>`` (plain attribute lookups: a
    sort reads them for every row) and as ``info[<name>]``."""

    __slots__ = ()

    def __getitem__(self, name: str) -> Any:
        return self.__dict__[name]

    def __setitem__(self, name: str, value: Any) -> None:
        self.__dict__[name] = value


def _attrs(pairs: Iterable[tuple[str, Any]]) -> _Attrs:
    info = _Attrs()
    info.__dict__.update(pairs)
    return info


class _Data(tuple):
    """``metrics``, ``params`` and ``tags``: only the keys a search reads."""

    __slots__ = ()
    metrics = property(operator.itemgetter(0))
    params = property(operator.itemgetter(1))
    tags = property(operator.itemgetter(2))


class RunRow(tuple):
    """What a filter and an ordering read of one run (``info``, ``data``), and where it lives:
    ``source`` is the run's whole document and ``line`` its shard's name, or ``source`` is
    (shard name, shard signature) and ``line`` the run's position in that shard's ``.cols`` file."""

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
        col_lines = [orjson.dumps(col) + b"\n" for col in columns.values()]
        doc_lines = [orjson.dumps(d) + b"\n" for d in docs]
    except (AttributeError, TypeError, KeyError, IndexError, orjson.JSONEncodeError):
        return None
    spans, at = {}, 0
    for name, line in zip(columns, col_lines):
        spans[name] = [at, at + len(line) - 1]
        at += len(line)
    starts = [at]
    for line in doc_lines:
        starts.append(starts[-1] + len(line))
    index = orjson.dumps({"ids": ids, "cols": spans, "docs": starts})
    lead = orjson.dumps({"v": VERSION, "sig": list(sig), "index": len(index), "head": len(index) + 1 + at})
    return b"".join([lead, b"\n", index, b"\n", *col_lines, *doc_lines])


def _lead(raw: bytes) -> tuple[dict[str, Any], int] | None:
    """Line 0 of a ``.cols`` file, if it is of this format, and where line 1 starts."""
    end = raw.find(b"\n")
    if end < 0:
        return None
    try:
        lead = orjson.loads(raw[:end])
    except orjson.JSONDecodeError:
        return None
    if type(lead) is not dict or lead.get("v") != VERSION:
        return None
    return lead, end + 1


def _grow(fh: BinaryIO, raw: bytes, size: Any) -> bytes:
    """``raw`` (the file's first bytes) read on to at least ``size`` bytes, if an int."""
    if type(size) is int and size > len(raw):
        raw += fh.read(size - len(raw))
    return raw


def read_columns(fh: BinaryIO) -> bytes:
    """The part of an open ``.cols`` file that a search parses: its header and columns, not the
    run documents (about 70% of the file). A file of another format is read whole; its reader
    rejects it."""
    raw = fh.read(_FIRST_READ)
    found = _lead(raw)
    if found is None:
        return raw + fh.read()
    lead, at = found
    head = lead.get("head")
    return _grow(fh, raw, at + head if type(head) is int else None)


def _header(raw: bytes, sig: tuple[int, int, int]) -> tuple[dict[str, Any], int] | None:
    """The index (line 1) of a ``.cols`` file and where its body starts, if the file is of this
    format and describes the shard file of signature ``sig``; else None (the file is not trusted)."""
    found = _lead(raw)
    if found is None or found[0].get("sig") != list(sig):
        return None
    lead, at = found
    end = at + lead.get("index", -1)
    try:
        index = orjson.loads(raw[at:end]) if raw[end : end + 1] == b"\n" else None
    except (orjson.JSONDecodeError, TypeError):
        return None
    return (index, end + 1) if type(index) is dict else None


def _read_documents(sig: tuple[int, int, int], positions: list[int]) -> Callable[[BinaryIO], dict[int, bytes] | None]:
    """Reads, from an open ``.cols`` file describing the shard of signature ``sig``, the document
    lines of the runs at ``positions`` (seeking to each), or None if the file is not trusted."""

    def read(fh: BinaryIO) -> dict[int, bytes] | None:
        raw = fh.read(_PAGE_FIRST_READ)
        found = _lead(raw)
        if found is None:
            return None
        lead, at = found
        index = lead.get("index")
        raw = _grow(fh, raw, at + index + 1 if type(index) is int else None)
        header = _header(raw, sig)
        if header is None:
            return None
        out = {}
        try:
            starts, base = header[0]["docs"], header[1]
            for i in sorted(positions):
                fh.seek(base + starts[i])
                out[i] = fh.read(starts[i + 1] - starts[i])
        except (KeyError, IndexError, TypeError, ValueError):
            pass  # a damaged index: the runs not read come from the shard itself
        return out

    return read


def _column_reader(raw: bytes, base: int, spans: dict[str, Any], n: int) -> Callable[[str], list[Any]]:
    """Reads one named column of the file (all None where the file has no such column)."""
    empty = [None] * n

    def column(col: str) -> list[Any]:
        span = spans.get(col)
        if span is None:
            return empty
        found = orjson.loads(raw[base + span[0] : base + span[1]])
        if type(found) is not list or len(found) != n:
            raise ValueError(f"column {col} does not hold {n} values")
        return found

    return column


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
    entry ids in ``skip``) that ``keep`` accepts; None when the file does not describe the shard
    file of signature ``sig`` or is unreadable. Only the header and the columns ``fields`` name
    are parsed; when ``keep`` is a parsed run filter's test, it is first applied to the columns
    (:mod:`nbtrack.search.columns`), so rows are built only for the runs that may match."""
    try:
        found = _header(raw, sig)
        if found is None:
            return None
        header, base = found
        ids, spans = header["ids"], header["cols"]
        n = len(ids)
        column = _column_reader(raw, base, spans, n)
        attrs, keyed = _needed(fields)
        attr_cols = [column("a:" + a) for a in attrs]
        experiment_col, stage_col = attr_cols[1], attr_cols[2]  # ALWAYS: run_id, experiment, stage, ...
        rows = list(compress(range(n), map(experiments.__contains__, experiment_col)))
        if stages is not None:
            rows = [i for i in rows if stage_col[i] in stages]
        if skip:
            rows = [i for i in rows if ids[i] not in skip]
        (mkeys, mcols), (pkeys, pcols), (tkeys, tcols) = [
            (keys, [column(prefix + k) for k in keys]) for prefix, keys in keyed
        ]
        mcols = [[v if v is None or type(v) is float else _metric_value(v) for v in col] for col in mcols]
        narrow, exact = column_filter(keep), False
        if narrow is not None and rows:
            known = {("attribute", a): c for a, c in zip(attrs, attr_cols)}
            for entity, keys, cols in (("metric", mkeys, mcols), ("param", pkeys, pcols), ("tag", tkeys, tcols)):
                known.update(((entity, k), c) for k, c in zip(keys, cols) if (entity, k) != _RUN_NAME)
            rows = narrow(rows, known.get)
            exact = narrow.fields <= known.keys()  # then testing the rows again would change nothing
        shard = (name, sig)
        built = [
            RunRow((_attrs(zip(attrs, [c[i] for c in attr_cols])), _Data((m, p, t)), shard, i))
            for i, m, p, t in zip(rows, _present(mkeys, mcols, rows), _present(pkeys, pcols, rows), _present(tkeys, tcols, rows))
        ]
        return built if exact else [row for row in built if keep(row)]
    except (orjson.JSONDecodeError, TypeError, KeyError, IndexError, ValueError, AttributeError):
        return None


_EMPTY: dict[str, Any] = {}  # shared by rows without any of the keys read: rows are never changed
_RUN_NAME = ("tag", "mlflow.runName")  # read with a fallback to the run name: tested on rows only


def _present(keys: list[str], cols: list[list[Any]], rows: list[int]) -> list[dict[str, Any]]:
    """For each run of ``rows``, its non-null values of ``keys`` (columns ``cols``), as a dict."""
    if not keys:
        return [_EMPTY] * len(rows)
    if len(keys) == 1:
        key, col = keys[0], cols[0]
        return [_EMPTY if (v := col[i]) is None else {key: v} for i in rows]
    return [{k: v for k, col in zip(keys, cols) if (v := col[i]) is not None} or _EMPTY for i in rows]


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
        info = _attrs((a, doc[a] if a in ALWAYS else doc.get(a, "" if a == "user_id" else None)) for a in attrs)
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
    records, sig, raw = reader(name, read_columns)
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
    read: Callable[[str, Callable[[BinaryIO], Any]], Any],
    fallback: Callable[[str], Iterator[dict[str, Any]]],
    decoding: Callable[[str], AbstractContextManager[None]],
) -> list[Run]:
    """Build the ``Run`` of each row, reading from each shard's ``.cols`` file only the document
    lines of its rows' runs (``read(name, reader)`` applies ``reader`` to the open file).

    A file changed since the search read it (another signature, or another format) is not
    trusted: the runs come from the shard itself (``fallback(name)``, its current documents), so
    they are never older than the filter's view. A malformed run document raises what
    ``decoding(shard name)`` makes of it.
    """
    wanted: dict[str, list[int]] = {}
    for row in rows:
        if not isinstance(row, Run) and not isinstance(row.source, dict):
            wanted.setdefault(row.source[0], []).append(row.line)
    lines: dict[str, dict[int, bytes]] = {}
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
        if name not in lines:
            lines[name] = read(name, _read_documents(sig, wanted[name])) or {}
        line = lines[name].get(row.line)
        if line is not None:
            try:
                out.append(_codec.run_from_doc(orjson.loads(line)))
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
