"""Fill an nbtrack store with tens of thousands of runs in seconds, for the big search.

The client writes one fsynced shard per run change (100,000 runs: ~15 minutes here), so the
big search store is built by cloning a template run that the client itself wrote: its run
document is copied into fixed-size shard files with new ids, params, metrics and tags (the
same data ``search_data`` gives every library), one atomic write per shard. The store then
reads the copies back through the client before anything is timed.
"""
from __future__ import annotations

import uuid
from typing import Any

from search_data import search_runs_data

__all__ = ["fill_search"]


def fill_search(a: Any, exp_id: str, runs: int) -> str:
    from nbtrack.store import docstore, run_docs

    store = a.client._store
    template_id = a.client.create_run(exp_id, run_name="template").info.run_id
    a.client.set_terminated(template_id)
    template = store._run_doc(template_id)
    store.update_run(template_id, lifecycle_stage="deleted")  # not part of the searched runs
    per = docstore.RUNS_PER_SHARD
    first = int(template_id[-run_docs.SHARD_DIGITS:], 16) + 1
    batch: list[dict[str, Any]] = []
    shard = first
    for r in search_runs_data(runs):
        run_id = uuid.uuid4().hex[: 32 - run_docs.SHARD_DIGITS] + f"{shard:0{run_docs.SHARD_DIGITS}x}"
        doc = {**template, "run_id": run_id, "run_name": r.name,
               "artifact_uri": template["artifact_uri"].replace(template_id, run_id),
               "params": dict(r.params),
               "tags": {**template["tags"], "mlflow.runName": r.name, **r.tags},
               "metrics": {k: [v, template["start_time"], 0] for k, v in r.metrics.items()}}
        batch.append(doc)
        if len(batch) == per:
            _write_shard(store, shard, batch)
            batch, shard = [], shard + 1
    if batch:
        _write_shard(store, shard, batch)
    return "shard files cloned from a client-written template run (same data as the others)"


def _write_shard(store: Any, number: int, docs: list[dict[str, Any]]) -> None:
    from nbtrack.store import run_docs

    def fill(raw: dict[str, Any]) -> None:
        table = raw.setdefault("runs", {})
        for i, doc in enumerate(docs, start=len(table) + 1):
            table[str(i)] = doc

    store._docs.update(run_docs.shard_name(number), fill)
