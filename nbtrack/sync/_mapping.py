"""Which local id is which remote id, per remote store, kept in the local store.

One document per remote (``sync/<digest of its URI>``) holds pairs for experiments, runs and
model versions. Pairs are written as soon as the remote object exists, so a sync killed at any
moment finds, on its next run, everything it created (and the tag written with each created
object finds the rest: an object created but not yet recorded here). ``done`` keeps, per
direction and finished source run, a fingerprint of what was copied, so an unchanged run costs
no request at all on the next sync.
"""
from __future__ import annotations

import hashlib
from typing import Any

KINDS = ("experiments", "runs", "versions", "done")


class IdMapping:
    """Pairs ``local id <-> remote id`` for one remote, persisted in the local store."""

    def __init__(self, store: Any, remote_uri: str) -> None:
        self._store = store
        self._name = "sync/" + hashlib.sha1(remote_uri.encode()).hexdigest()[:16]
        self._remote_uri = remote_uri
        doc = store.read_document(self._name)
        self._pairs: dict[str, dict[str, str]] = {k: dict(doc.get(k, {})) for k in KINDS}
        self._reverse = {k: {r: loc for loc, r in self._pairs[k].items()} for k in KINDS}

    def remote(self, kind: str, local_id: str) -> str | None:
        return self._pairs[kind].get(local_id)

    def local(self, kind: str, remote_id: str) -> str | None:
        return self._reverse[kind].get(remote_id)

    def record(self, kind: str, local_id: str, remote_id: str) -> None:
        """Remember one pair (written to the store at once)."""
        if self._pairs[kind].get(local_id) == remote_id:
            return
        self._pairs[kind][local_id] = remote_id
        self._reverse[kind][remote_id] = local_id

        def write(doc: dict[str, Any]) -> None:
            doc["remote"] = self._remote_uri
            doc.setdefault(kind, {})[local_id] = remote_id

        self._store.update_document(self._name, write)
