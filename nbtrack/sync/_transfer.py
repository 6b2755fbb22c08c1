"""Copy experiments, runs, artifacts and the registry from one side to the other, exactly once.

What is already there is read before anything is written, and each run is written in an order
that makes a half-finished copy recognisable:

1. the run is created carrying a tag with its source id, and the id pair is recorded at once
   (a kill between the two is healed by looking the tag up);
2. params and tags that the copy lacks;
3. per metric key, the source's points beyond the copy's count (requests are atomic and sent in
   order, so the copy always holds a prefix; identical points, which MLflow stores once, are
   sent once);
4. artifact files missing or of another size;
5. the end status, last.

So a rerun after a kill resumes where it stopped, and a sync with nothing new sends no write.
"""
from __future__ import annotations

import hashlib
import json
import math
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..entities import Run, RunStatus
from ._mapping import IdMapping
from ._sides import SOURCE_TAG, LocalSide, MlflowSide, Point

Side = LocalSide | MlflowSide
_SYNC_TAG_PREFIX = "nbtrack.sync."


@dataclass
class SyncReport:
    """What a sync moved (or, with ``dry_run``, would move)."""

    dry_run: bool = False
    experiments: int = 0
    runs_created: int = 0
    runs_updated: int = 0
    params: int = 0
    tags: int = 0
    points: int = 0
    artifact_files: int = 0
    artifact_bytes: int = 0
    models: int = 0
    versions: int = 0
    writes: int = 0
    plan: list[str] = field(default_factory=list)

    def summary(self) -> str:
        verb = "would copy" if self.dry_run else "copied"
        return (
            f"{verb} {self.experiments} new experiment(s), {self.runs_created} new run(s), "
            f"{self.runs_updated} updated run(s): {self.params} params, {self.tags} tags, "
            f"{self.points} metric points, {self.artifact_files} artifact file(s) "
            f"({self.artifact_bytes} bytes), {self.models} model(s), {self.versions} version(s)"
        )


def _identity(point: Point) -> tuple[int, object, int]:
    step, value, ts = point
    return (step, "nan" if isinstance(value, float) and math.isnan(value) else value, ts)


def _distinct(points: Iterable[Point]) -> list[Point]:
    """Points in order, identical repeats dropped (MLflow's SQL stores keep one of them)."""
    seen: set[tuple[int, object, int]] = set()
    out = []
    for p in points:
        ident = _identity(p)
        if ident not in seen:
            seen.add(ident)
            out.append(p)
    return out


class Transfer:
    """One sync between ``src`` and ``dst``; ``local_is_src`` says how ids map to the mapping."""

    def __init__(self, src: Side, dst: Side, mapping: IdMapping, local_is_src: bool, dry_run: bool) -> None:
        self.src, self.dst, self.mapping = src, dst, mapping
        self.local_is_src = local_is_src
        self.report = SyncReport(dry_run=dry_run)
        self._tmp = Path(tempfile.mkdtemp(prefix="nbtrack-sync-"))
        self._synced: set[str] = set()

    # -- id pairs ------------------------------------------------------------------------
    def _lookup(self, kind: str, src_id: str) -> str | None:
        if self.local_is_src:
            return self.mapping.remote(kind, src_id)
        return self.mapping.local(kind, src_id)

    def _remember(self, kind: str, src_id: str, dst_id: str) -> None:
        if self.report.dry_run:
            return
        if self.local_is_src:
            self.mapping.record(kind, src_id, dst_id)
        else:
            self.mapping.record(kind, dst_id, src_id)

    def _write(self, line: str, fn: Any, *args: Any) -> Any:
        self.report.plan.append(line)
        if self.report.dry_run:
            return None
        self.report.writes += 1
        return fn(*args)

    # -- experiments and runs ------------------------------------------------------------
    def experiments(self, wanted: list[str] | None) -> list[tuple[Any, str | None]]:
        """(source experiment, copy's id or None in a dry run) for each experiment to sync."""
        chosen = []
        for exp in self.src.experiments():
            if exp.lifecycle_stage != "active":
                continue
            if wanted and exp.name not in wanted and exp.experiment_id not in wanted:
                continue
            found = self.dst.experiment_by_name(exp.name)
            if found is not None:
                dst_id: str | None = found.experiment_id
            else:
                self.report.experiments += 1
                dst_id = self._write(f"create experiment {exp.name!r}", self.dst.create_experiment, exp.name, exp.tags)
            if dst_id is not None:
                self._remember("experiments", exp.experiment_id, dst_id)
            chosen.append((exp, dst_id))
        return chosen

    def runs_of(self, exp_id: str) -> list[Run]:
        return self.src.runs(exp_id)

    def _find_copy(self, run: Run, dst_exp: str | None) -> str | None:
        src_id = run.info.run_id
        dst_id = self._lookup("runs", src_id)
        if dst_id is None and dst_exp is not None:
            dst_id = self.dst.find_run(dst_exp, src_id)  # created, killed before it was recorded
        origin = run.data.tags.get(SOURCE_TAG)
        if dst_id is None and origin:  # this run was itself copied from the other side
            try:
                dst_id = self.dst.get_run(origin).info.run_id
            except Exception:  # noqa: BLE001 - any failure means "not there"
                dst_id = None
        if dst_id is not None:
            self._remember("runs", src_id, dst_id)
        return dst_id

    def _fingerprint(self, run: Run) -> str:
        """Digest of everything a sync copies from a finished run (artifacts too, when local)."""
        info = run.info
        facts: list[Any] = [info.status, info.end_time, info.lifecycle_stage, info.run_name, sorted(run.data.params.items()),
                 sorted(run.data.tags.items()), sorted((k, repr(v)) for k, v in run.data.metrics.items())]
        if isinstance(self.src, LocalSide):
            facts.append(sorted(self.src.artifacts(info.run_id).items()))
        return hashlib.sha1(json.dumps(facts, default=str).encode()).hexdigest()

    def run(self, run: Run, dst_exp: str | None) -> None:
        src_id = run.info.run_id
        self._synced.add(src_id)
        finished = run.info.status in RunStatus.TERMINATED
        direction = "push" if self.local_is_src else "pull"
        fingerprint = self._fingerprint(run) if finished else None
        if fingerprint is not None and self.mapping.remote("done", f"{direction}:{src_id}") == fingerprint:
            return  # copied completely by an earlier sync and unchanged since
        self._copy_run(run, dst_exp)
        if fingerprint is not None and not self.report.dry_run:
            self.mapping.record("done", f"{direction}:{src_id}", fingerprint)

    def _copy_run(self, run: Run, dst_exp: str | None) -> None:
        src_id = run.info.run_id
        dst_id = self._find_copy(run, dst_exp)
        label = f"run {run.info.run_name or src_id} ({src_id})"
        created = dst_id is None
        if created:
            self.report.runs_created += 1
            dst_id = self._write(f"create {label}", self.dst.create_run, dst_exp, run, src_id)
            if dst_id is not None:
                self._remember("runs", src_id, dst_id)
        copy = self.dst.get_run(dst_id) if dst_id is not None else None
        changed = self._data(run, copy, dst_id, label)
        changed |= self._artifacts(run, copy, dst_id, label)
        changed |= self._status(run, copy, dst_id, label)
        if changed and not created:
            self.report.runs_updated += 1

    def _data(self, run: Run, copy: Run | None, dst: str | None, label: str) -> bool:
        dst_id = dst or ""  # "" only in a dry run of a run not copied yet: nothing is read or written
        have_params = copy.data.params if copy else {}
        have_tags = copy.data.tags if copy else {}
        params = {k: v for k, v in run.data.params.items() if k not in have_params}
        tags = {k: v for k, v in run.data.tags.items()
                if not k.startswith(_SYNC_TAG_PREFIX) and have_tags.get(k) != v}
        points: list[tuple[str, Point]] = []
        for key in sorted(run.data.metrics):
            source = _distinct(self.src.history(run.info.run_id, key))
            held = len(self.dst.history(dst_id, key)) if copy is not None and key in copy.data.metrics else 0
            points.extend((key, p) for p in source[held:])
        if not (params or tags or points):
            return False
        self.report.params += len(params)
        self.report.tags += len(tags)
        self.report.points += len(points)
        line = f"{label}: {len(params)} params, {len(tags)} tags, {len(points)} points"
        self.report.plan.append(line)
        if not self.report.dry_run:
            self.report.writes += self.dst.log(dst_id, params, tags, points)
        return True

    def _artifacts(self, run: Run, copy: Run | None, dst_id: str | None, label: str) -> bool:
        have = self.dst.artifacts(dst_id) if copy is not None and dst_id else {}
        missing = {p: size for p, size in self.src.artifacts(run.info.run_id).items() if have.get(p) != size}
        for path, size in sorted(missing.items()):
            self.report.artifact_files += 1
            self.report.artifact_bytes += size
            if self.report.dry_run:
                self.report.plan.append(f"{label}: artifact {path} ({size} bytes)")
                continue
            local = self.src.fetch_artifact(run.info.run_id, path, Path(tempfile.mkdtemp(dir=self._tmp)))
            self._write(f"{label}: artifact {path} ({size} bytes)", self.dst.put_artifact, dst_id, path, local)
        return bool(missing)

    def _status(self, run: Run, copy: Run | None, dst_id: str | None, label: str) -> bool:
        changed = False
        info = run.info
        if info.status in RunStatus.TERMINATED and (
            copy is None or (copy.info.status, copy.info.end_time) != (info.status, info.end_time)
        ):
            self._write(f"{label}: end as {info.status}", self.dst.finish, dst_id, info.status, info.end_time)
            changed = True
        if info.lifecycle_stage == "deleted" and (copy is None or copy.info.lifecycle_stage != "deleted"):
            self._write(f"{label}: delete", self.dst.delete_run, dst_id)
            changed = True
        return changed

    # -- registry ------------------------------------------------------------------------
    def registry(self, only_synced_runs: bool) -> None:
        """Copy registered models; with ``only_synced_runs``, those with a version from a run just synced."""
        src_models = self.src.registry().get("models", {})
        if only_synced_runs:
            src_models = {n: m for n, m in src_models.items()
                          if any(v.get("run_id") in self._synced for v in m["versions"].values())}
        if not src_models:
            return
        dst_models = self.dst.registry().get("models", {})
        for name, model in sorted(src_models.items()):
            have = dst_models.get(name)
            if have is None:
                self.report.models += 1
                self._write(f"create model {name!r}", self.dst.create_model, name, model["tags"], model["description"])
                have = {"tags": model["tags"], "description": model["description"], "versions": {}, "aliases": {}}
            else:
                tags = {k: v for k, v in model["tags"].items() if have["tags"].get(k) != v}
                description = model["description"] if model["description"] != have["description"] else None
                if tags or description is not None:
                    self._write(f"update model {name!r}", self.dst.update_model, name, tags, description)
            self._versions(name, model, have)

    def _versions(self, name: str, model: dict[str, Any], have: dict[str, Any]) -> None:
        by_origin = {rec["tags"].get(SOURCE_TAG): int(n) for n, rec in have["versions"].items()}
        numbers: dict[int, int | None] = {}
        for number in sorted(model["versions"], key=int):
            record = model["versions"][number]
            src_key = f"{name}/{number}"
            mapped = self._lookup("versions", src_key)
            dst_v = int(mapped.split("/")[-1]) if mapped else by_origin.get(src_key)
            origin = record["tags"].get(SOURCE_TAG)  # copied from the other side earlier
            if dst_v is None and origin and origin.rsplit("/", 1)[0] == name and origin.split("/")[-1] in have["versions"]:
                dst_v = int(origin.split("/")[-1])
            current = have["versions"].get(str(dst_v)) if dst_v is not None else None
            if current is None:
                self.report.versions += 1
                source, run_id = self._version_source(record)
                tagged = {**record, "tags": {**record["tags"], SOURCE_TAG: src_key}}
                dst_v = self._write(f"create model {name!r} version {number}", self.dst.create_version,
                                    name, tagged, source, run_id)
                current = {"current_stage": "None", "description": record["description"]}
            if dst_v is None:
                numbers[int(number)] = None
                continue
            self._remember("versions", src_key, f"{name}/{dst_v}")
            numbers[int(number)] = dst_v
            if record["current_stage"] != current["current_stage"]:
                self._write(f"model {name!r} v{dst_v}: stage {record['current_stage']}", self.dst.set_stage,
                            name, dst_v, record["current_stage"])
            if record["description"] != current["description"]:
                self._write(f"model {name!r} v{dst_v}: description", self.dst.set_version_description,
                            name, dst_v, record["description"])
        for alias, number in sorted(model["aliases"].items()):
            target = numbers.get(int(number))
            if target is not None and have["aliases"].get(alias) != target:
                self._write(f"model {name!r}: alias {alias} -> v{target}", self.dst.set_alias, name, alias, target)

    def _version_source(self, record: dict[str, Any]) -> tuple[str, str | None]:
        """The copy's source: the same path inside the copied run's artifacts, when there is one."""
        run_id = record.get("run_id")
        dst_run = self._lookup("runs", run_id) if run_id else None
        if not run_id or dst_run is None:
            return record["source"], None
        src_root = self.src.get_run(run_id).info.artifact_uri.rstrip("/")
        dst_root = self.dst.get_run(dst_run).info.artifact_uri.rstrip("/")
        source = record["source"]
        if source.startswith(src_root):
            source = dst_root + source[len(src_root):]
        return source, dst_run


def progress(items: list[Any], enabled: bool) -> Iterable[Any]:
    """``items`` with a tqdm bar when asked for, tqdm is installed and stderr is a terminal."""
    if not enabled or not sys.stderr.isatty():
        return items
    try:
        from tqdm import tqdm
    except ImportError:
        return items
    return tqdm(items, unit="run", desc="nbtrack sync", file=sys.stderr)
