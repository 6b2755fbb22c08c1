"""Fill an MLflow store with thousands of runs and a million metric points in seconds.

MLflow's API needs ~1 ms per point on sqlite (a million points: tens of minutes), so the big
store is built by copying one template run that MLflow itself wrote: rows are cloned with
plain ``sqlite3`` (same columns, new run ids) and run folders are cloned file by file for the
file store. The new runs are then indistinguishable from API-written ones, which the
benchmark checks by reading one back through ``MlflowClient``. Runs only under bench/.venv.
"""
from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

__all__ = ["fill"]

_KEYS = ("loss", "acc")


def _points(per_run: int, ts: int) -> Iterator[tuple[str, float, int, int]]:
    """(key, value, timestamp, step): the same shape nbtrack's setup logs."""
    for j in range(per_run):
        yield _KEYS[j % 2], 1.0 / (j + 1), ts + j, j // 2


def _template_run(a: Any, exp_id: str) -> str:
    """One finished run with 10 params and a point per key, written through the client."""
    run_id = a.client.create_run(exp_id, run_name="template").info.run_id
    ts = int(time.time() * 1000)
    a.client.log_batch(
        run_id,
        metrics=[a.metric(k, v, t, s) for k, v, t, s in _points(2, ts)],
        params=[a.param(f"p{k}", str(k)) for k in range(10)],
    )
    a.client.set_terminated(run_id)
    return run_id


def fill(a: Any, exp_id: str, runs: int, per_run: int) -> str:
    """Add ``runs`` finished runs of ``per_run`` points each to the store behind ``a.uri``.

    Returns how it was done, for the report.
    """
    template = _template_run(a, exp_id)
    parsed = urlparse(a.uri)
    if parsed.scheme == "sqlite":
        _fill_sqlite(parsed.path, template, runs, per_run)
        method = "bulk SQL copies of an API-written template run"
    elif parsed.scheme == "file":
        _fill_files(Path(parsed.path) / exp_id / template, runs, per_run)
        method = "file copies of an API-written template run"
    else:
        raise ValueError(f"cannot bulk-fill {a.uri!r}: expected a sqlite:/// or file:// URI")
    _check(a, exp_id, runs, per_run)
    return method


def _check(a: Any, exp_id: str, runs: int, per_run: int) -> None:
    """MLflow itself must read the copies back: run count, params and a full history."""
    found = a.client.search_runs([exp_id], max_results=min(runs + 1, 50000))
    if len(found) != runs + 1:
        raise RuntimeError(f"bulk fill: MLflow sees {len(found)} runs, expected {runs + 1}")
    copy = a.client.get_run(_new_ids(runs)[-1])
    history = a.client.get_metric_history(copy.info.run_id, "loss")
    if len(copy.data.params) != 10 or len(history) != (per_run + 1) // 2:
        raise RuntimeError(f"bulk fill: run {copy.info.run_id} reads back incomplete")


def _fill_sqlite(db_path: str, template: str, runs: int, per_run: int) -> None:
    con = sqlite3.connect(db_path)
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        with con:
            for table in tables:
                cols = [r[1] for r in con.execute(f'PRAGMA table_info("{table}")')]
                if "run_uuid" not in cols or table in ("metrics", "latest_metrics"):
                    continue
                _clone_rows(con, table, cols, template, runs)
            _insert_metrics(con, runs, per_run)
    finally:
        con.close()


def _new_ids(runs: int) -> list[str]:
    # 32 characters like MLflow's own, deterministic, and never all digits (YAML would read
    # an all-digit run_id in meta.yaml back as an int).
    return [f"bench{i:027x}" for i in range(runs)]


def _clone_rows(con: sqlite3.Connection, table: str, cols: list[str], template: str,
                runs: int) -> None:
    rows = con.execute(f'SELECT * FROM "{table}" WHERE run_uuid = ?', (template,)).fetchall()
    at = cols.index("run_uuid")
    quoted = ", ".join(f'"{c}"' for c in cols)
    holes = ", ".join("?" * len(cols))
    for new_id in _new_ids(runs):
        out = []
        for row in rows:
            values = [v.replace(template, new_id) if isinstance(v, str) else v for v in row]
            values[at] = new_id
            out.append(values)
        con.executemany(f'INSERT INTO "{table}" ({quoted}) VALUES ({holes})', out)


def _insert_metrics(con: sqlite3.Connection, runs: int, per_run: int) -> None:
    ts = int(time.time() * 1000)
    for new_id in _new_ids(runs):
        points = list(_points(per_run, ts))
        con.executemany(
            'INSERT INTO metrics ("key", value, timestamp, run_uuid, step, is_nan) '
            "VALUES (?, ?, ?, ?, ?, 0)",
            [(k, v, t, new_id, s) for k, v, t, s in points],
        )
        latest: dict[str, tuple[str, float, int, int]] = {}
        for p in points:
            latest[p[0]] = p  # steps only grow, so the last point of a key is its latest
        con.executemany(
            'INSERT INTO latest_metrics ("key", value, timestamp, step, is_nan, run_uuid) '
            "VALUES (?, ?, ?, ?, 0, ?)",
            [(k, v, t, s, new_id) for k, v, t, s in latest.values()],
        )


def _fill_files(template_dir: Path, runs: int, per_run: int) -> None:
    template = template_dir.name
    files = {
        p.relative_to(template_dir): p.read_text()
        for p in template_dir.rglob("*")
        if p.is_file() and p.parent.name != "metrics"
    }
    ts = int(time.time() * 1000)
    lines: dict[str, list[str]] = {k: [] for k in _KEYS}
    for k, v, t, s in _points(per_run, ts):
        lines[k].append(f"{t} {v} {s}\n")
    metric_text = {k: "".join(v) for k, v in lines.items()}
    for new_id in _new_ids(runs):
        run_dir = template_dir.parent / new_id
        for sub in ("params", "tags", "metrics", "artifacts"):
            (run_dir / sub).mkdir(parents=True, exist_ok=True)
        for rel, text in files.items():
            (run_dir / rel).write_text(text.replace(template, new_id))
        for key, text in metric_text.items():
            (run_dir / "metrics" / key).write_text(text)


def fill_history(a: Any, exp_id: str, key: str, points: int) -> str:
    """One finished run holding ``points`` points of ``key``, rows/lines written in bulk."""
    run_id = a.client.create_run(exp_id, run_name=f"history-{points}").info.run_id
    ts = int(time.time() * 1000)
    parsed = urlparse(a.uri)
    if parsed.scheme == "sqlite":
        con = sqlite3.connect(parsed.path)
        try:
            with con:
                con.executemany(
                    'INSERT INTO metrics ("key", value, timestamp, run_uuid, step, is_nan) VALUES (?, ?, ?, ?, ?, 0)',
                    ((key, 1.0 / (i + 1), ts + i, run_id, i) for i in range(points)))
                con.execute(
                    'INSERT INTO latest_metrics ("key", value, timestamp, step, is_nan, run_uuid) VALUES (?, ?, ?, ?, 0, ?)',
                    (key, 1.0 / points, ts + points - 1, points - 1, run_id))
        finally:
            con.close()
    else:
        folder = Path(parsed.path) / exp_id / run_id / "metrics"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / key).write_text("".join(f"{ts + i} {1.0 / (i + 1)} {i}\n" for i in range(points)))
    a.client.set_terminated(run_id)
    if len(a.client.get_metric_history(run_id, key)) != points:
        raise RuntimeError("bulk history: MLflow reads back a different number of points")
    return run_id


def fill_search(a: Any, exp_id: str, runs: int) -> str:
    """``runs`` finished runs with ``search_data``'s params, metrics and tags, as SQL rows."""
    from search_data import search_runs_data

    parsed = urlparse(a.uri)
    if parsed.scheme != "sqlite":
        raise ValueError("bulk search fill is written for MLflow's sqlite store only")
    template = a.client.create_run(exp_id, run_name="template").info.run_id
    a.client.set_terminated(template)
    ts = int(time.time() * 1000)
    con = sqlite3.connect(parsed.path)
    try:
        cols = [r[1] for r in con.execute('PRAGMA table_info("runs")')]
        row = list(con.execute("SELECT * FROM runs WHERE run_uuid = ?", (template,)).fetchone())
        tag_rows = con.execute("SELECT key, value FROM tags WHERE run_uuid = ?", (template,)).fetchall()
        quoted, holes = ", ".join(f'"{c}"' for c in cols), ", ".join("?" * len(cols))
        with con:
            for i, r in enumerate(search_runs_data(runs)):
                run_id = f"search{i:026x}"
                values = [v.replace(template, run_id) if isinstance(v, str) else v for v in row]
                values[cols.index("run_uuid")] = run_id
                values[cols.index("name")] = r.name
                con.execute(f'INSERT INTO runs ({quoted}) VALUES ({holes})', values)
                tags = {**dict(tag_rows), "mlflow.runName": r.name, **r.tags}
                con.executemany("INSERT INTO tags (key, value, run_uuid) VALUES (?, ?, ?)",
                                [(k, v, run_id) for k, v in tags.items()])
                con.executemany("INSERT INTO params (key, value, run_uuid) VALUES (?, ?, ?)",
                                [(k, v, run_id) for k, v in r.params.items()])
                con.executemany(
                    'INSERT INTO metrics ("key", value, timestamp, run_uuid, step, is_nan) VALUES (?, ?, ?, ?, 0, 0)',
                    [(k, v, ts, run_id) for k, v in r.metrics.items()])
                con.executemany(
                    'INSERT INTO latest_metrics ("key", value, timestamp, step, is_nan, run_uuid) VALUES (?, ?, ?, 0, 0, ?)',
                    [(k, v, ts, run_id) for k, v in r.metrics.items()])
            con.execute("UPDATE runs SET lifecycle_stage = 'deleted' WHERE run_uuid = ?", (template,))
    finally:
        con.close()
    return "SQL rows cloned from an API-written template run (same data as the others)"
