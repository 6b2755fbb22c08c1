"""Experiment records in the ``meta`` document: their shape, and the rules of adding and changing one.

Pure functions over the document (or its TinyDB ``experiments`` table) that :class:`.DocStore`
has loaded under its lock; the store decides when to read and write.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tinydb import TinyDB, where
from tinydb.table import Document

from .._validation import now_ms
from ..entities import LifecycleStage
from ..errors import ExperimentNotFoundError
from . import rules
from .tinydb_tables import DictStorage

__all__ = ["NEXT_ID", "new", "insert", "change"]

#: Table of the meta document holding the next experiment id (survives deleted experiments).
NEXT_ID = "next_experiment_id"


def new(
    name: str, artifact_location: str | None, tags: Mapping[str, str], exp_id: str, artifact_root: Path
) -> dict[str, Any]:
    """A new experiment's record (artifacts under ``artifact_root/<id>`` unless given)."""
    now = now_ms()
    return {
        "name": name,
        "artifact_location": artifact_location or str(artifact_root / exp_id),
        "lifecycle_stage": LifecycleStage.ACTIVE,
        "tags": dict(tags),
        "creation_time": now,
        "last_update_time": now,
    }


def insert(
    raw: dict[str, Any], name: str, artifact_location: str | None, tags: Mapping[str, str],
    floor: int | None, artifact_root: Path,
) -> str:
    """Add an experiment to the meta document ``raw``; its id is the next never-used one.

    Ids are the largest of: one past the highest record, the stored counter, and ``floor`` (one
    past the highest id any run or artifact folder uses, when the counter was lost).
    """
    table = TinyDB(raw, storage=DictStorage).table("experiments")
    if table.contains(where("name") == name):
        raise rules.experiment_name_taken(name)
    known = max((d.doc_id for d in table.all()), default=-1) + 1
    exp_id = str(max(known, raw.get(NEXT_ID, {}).get("1", {}).get("id", 0), floor or 0))
    table.insert(Document(new(name, artifact_location, tags, exp_id, artifact_root), doc_id=int(exp_id)))
    raw[NEXT_ID] = {"1": {"id": int(exp_id) + 1}}
    return exp_id


def change(
    table: Any, experiment_id: str, name: str | None, lifecycle_stage: str | None,
    tags: Mapping[str, str] | None, delete_tags: Sequence[str],
) -> None:
    """Rename, move between lifecycle stages, set or delete tags of one experiment record."""
    doc_id = int(experiment_id) if str(experiment_id).isdigit() else -1
    doc = table.get(doc_id=doc_id)
    if doc is None:
        raise ExperimentNotFoundError(f"No experiment with id {experiment_id!r}")
    fields: dict[str, Any] = {"last_update_time": now_ms()}
    if name is not None and name != doc["name"]:
        if table.contains(where("name") == name):
            raise rules.experiment_name_taken(name)
        fields["name"] = name
    if lifecycle_stage is not None:
        fields["lifecycle_stage"] = lifecycle_stage
    if tags or delete_tags:
        merged = {**doc.get("tags", {}), **(tags or {})}
        fields["tags"] = {k: val for k, val in merged.items() if k not in delete_tags}
    table.update(fields, doc_ids=[doc_id])
