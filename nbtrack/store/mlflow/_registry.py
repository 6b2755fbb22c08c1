"""The registry state of ``nbtrack._registry_state`` mirrored onto MLflow's model registry.

``read()`` builds the plain state dict from the server. ``update(fn)`` runs one of the pure
registry rules on a copy and sends the difference as MLflow registry calls, so every rule
(stage names, alias syntax, archiving) is checked once, by the same code as for local stores.
Renames are read from the audit event the rule records (a diff alone would see a delete and a
create). The audit trail lives on the server as registered-model tags ``nbtrack.audit.NNNNNN``,
one JSON event each, appended after the change they record; ``read()`` takes them out of the
model's tags. MLflow deletes a model's tags with it, so a deleted model's trail is gone there.
"""
from __future__ import annotations

import copy
import functools
import json
import warnings
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from ...errors import StoreError
from ...search.paging import all_pages

T = TypeVar("T")
_PAGE = 1000
AUDIT_TAG = "nbtrack.audit."


class RegistryMirror:
    """Read and change a server's registry through the registry state dict."""

    def __init__(self, client: Any, call: Callable[..., Any]) -> None:
        self._client = client
        self._call = call

    def read(self) -> dict[str, Any]:
        return self._call("reading the model registry", self._read)

    def _read(self) -> dict[str, Any]:
        models: dict[str, Any] = {}
        audit: dict[str, list[dict[str, Any]]] = {}
        for rm in all_pages(self._client.search_registered_models, max_results=_PAGE):
            aliases = {a: int(v) for a, v in dict(rm.aliases or {}).items()}
            tags = dict(rm.tags or {})
            events = sorted(k for k in tags if k.startswith(AUDIT_TAG))
            audit[rm.name] = [json.loads(tags.pop(k)) for k in events]
            models[rm.name] = {
                "name": rm.name, "creation_timestamp": rm.creation_timestamp,
                "last_updated_timestamp": rm.last_updated_timestamp,
                "description": rm.description or "", "tags": tags,
                "aliases": aliases, "next_version": 1, "versions": {},
            }
        for mv in all_pages(self._client.search_model_versions, max_results=_PAGE):
            model = models.get(mv.name)
            if model is None:
                continue
            number = int(mv.version)
            model["versions"][str(number)] = {
                "version": number, "creation_timestamp": mv.creation_timestamp,
                "last_updated_timestamp": mv.last_updated_timestamp,
                "current_stage": mv.current_stage or "None", "description": mv.description or "",
                "source": mv.source or "", "run_id": mv.run_id or None, "status": mv.status or "READY",
                "tags": dict(mv.tags or {}), "user_id": mv.user_id or "",
            }
            model["next_version"] = max(model["next_version"], number + 1)
        return {"models": models, "audit": audit}

    def update(self, fn: Callable[[dict[str, Any]], T]) -> T:
        old = self.read()
        new = copy.deepcopy(old)
        result = fn(new)
        with warnings.catch_warnings():  # stages are deprecated in MLflow; nbtrack keeps them
            warnings.simplefilter("ignore", FutureWarning)
            self._call("changing the model registry", self._apply, old, new)
        return result

    # -- sending the difference ----------------------------------------------------------
    def _apply(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        c = self._client
        before, after = dict(old["models"]), new["models"]
        for name, model in before.items():  # the events each model's tags hold now
            before[name] = {**model, "audit": old["audit"].get(name, [])}
        known = {json.dumps(e, sort_keys=True) for events in old["audit"].values() for e in events}
        for events in new.get("audit", {}).values():
            for event in events:
                if json.dumps(event, sort_keys=True) in known:
                    continue  # recorded by an earlier change
                if event["action"] == "rename_registered_model" and event["before"] in before:
                    c.rename_registered_model(event["before"], event["after"])
                    before[event["after"]] = before.pop(event["before"])
        for name in before.keys() - after.keys():
            c.delete_registered_model(name)
        for name, model in after.items():
            if name not in before:
                c.create_registered_model(name, tags=model["tags"] or None, description=model["description"] or None)
                self._apply_model(name, {"tags": model["tags"], "description": model["description"],
                                         "aliases": {}, "versions": {}}, model)
            else:
                self._apply_model(name, before[name], model)
            self._append_audit(name, len(before[name]["audit"]) if name in before else 0,
                               new.get("audit", {}).get(name, []))

    def _append_audit(self, name: str, on_server: int, events: list[dict[str, Any]]) -> None:
        """Events past the ``on_server`` ones the model's tags hold, as one tag each."""
        for number in range(on_server, len(events)):
            self._client.set_registered_model_tag(name, f"{AUDIT_TAG}{number:06d}", json.dumps(events[number]))

    def _apply_model(self, name: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        c = self._client
        if new["description"] != old["description"]:
            c.update_registered_model(name, new["description"])
        _apply_tags(old["tags"], new["tags"], lambda k, v: c.set_registered_model_tag(name, k, v),
                    lambda k: c.delete_registered_model_tag(name, k))
        for alias in old["aliases"].keys() - new["aliases"].keys():
            c.delete_registered_model_alias(name, alias)
        for number in sorted(old["versions"].keys() - new["versions"].keys(), key=int):
            c.delete_model_version(name, number)
        for number in sorted(new["versions"], key=int):
            record = new["versions"][number]
            prior = old["versions"].get(number)
            if prior is None:
                prior = self._create_version(name, record)
            if record["current_stage"] != prior["current_stage"]:
                c.transition_model_version_stage(name, number, record["current_stage"], False)
            if record["description"] != prior["description"]:
                c.update_model_version(name, number, record["description"])
            _apply_tags(prior["tags"], record["tags"], functools.partial(c.set_model_version_tag, name, number),
                        functools.partial(c.delete_model_version_tag, name, number))
        for alias, version in new["aliases"].items():
            if old["aliases"].get(alias) != version:
                c.set_registered_model_alias(name, alias, str(version))

    def _create_version(self, name: str, record: Mapping[str, Any]) -> dict[str, Any]:
        mv = self._client.create_model_version(
            name, record["source"], run_id=record["run_id"], tags=record["tags"] or None,
            description=record["description"] or None,
        )
        if int(mv.version) != int(record["version"]):
            raise StoreError(
                f"The server numbered the new version of {name!r} {mv.version}, not "
                f"{record['version']} (another client registered one meanwhile); reload and retry"
            )
        return {"current_stage": mv.current_stage or "None", "description": record["description"],
                "tags": record["tags"]}


def _apply_tags(old: Mapping[str, str], new: Mapping[str, str], set_tag: Callable[[str, str], Any],
                delete_tag: Callable[[str], Any]) -> None:
    for key in old.keys() - new.keys():
        delete_tag(key)
    for key, value in new.items():
        if old.get(key) != value:
            set_tag(key, value)
