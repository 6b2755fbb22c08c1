"""The stores the server extension can browse: its own store plus the ones an admin configured.

The sidebar lists them (``GET stores``) and names the one it wants on every request with the
query parameter ``store=<id>``; nothing is selected on the server, so two browser tabs can look
at two stores at once. Only listed stores can be chosen: a request cannot point the server at a
path or host of its own. A store's id is its canonical URI, which never holds credentials
(server URIs with user info are refused and left out, with a warning that does not repeat
them); a server's credentials come from MLflow's environment variables.
"""
from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlparse

from ..errors import InvalidParameterError, NbtrackError
from ..store.discovery import canonical_uri
from ..store.mlflow._connection import redact
from .backend import Backend

__all__ = ["StoreChoice", "StoreChoices"]

log = logging.getLogger("nbtrack.server")


@dataclass(frozen=True)
class StoreChoice:
    """One store the sidebar may switch to."""

    id: str
    label: str
    kind: str  # "local" (a folder or memory store) or "mlflow" (a tracking server)
    default: bool

    def to_json(self) -> dict[str, object]:
        return {"id": self.id, "label": self.label, "kind": self.kind, "default": self.default}


def _label(uri: str) -> tuple[str, str]:
    """A short name for the switcher (fits a narrow sidebar) and the store's kind."""
    if uri.startswith(("http://", "https://")):
        parsed = urlparse(uri)
        port = f":{parsed.port}" if parsed.port else ""
        return f"MLflow {parsed.hostname}{port}{parsed.path}", "mlflow"
    if uri.startswith("tinydb://"):
        path = uri[len("tinydb://"):]
        parent = os.path.basename(os.path.dirname(path.rstrip("/"))) or path
        return f"Local {parent}/{os.path.basename(path.rstrip('/'))}", "local"
    return f"Local {uri}", "local"


class StoreChoices:
    """The default store and the configured ones, each with its own :class:`Backend` on demand."""

    def __init__(self, default_backend: Backend, configured: Iterable[str]) -> None:
        self.default_id = default_backend.tracking_uri
        self._backends = {self.default_id: default_backend}
        label, kind = _label(self.default_id)
        self.choices = [StoreChoice(self.default_id, label, kind, True)]
        for raw in configured:
            try:
                uri = canonical_uri(raw)
            except NbtrackError as exc:
                log.warning("nbtrack: a configured store is left out of the switcher: %s", redact(str(exc)))
                continue
            if any(c.id == uri for c in self.choices):
                continue
            label, kind = _label(uri)
            self.choices.append(StoreChoice(uri, label, kind, False))

    def backend(self, store_id: str | None) -> Backend:
        """The backend of a listed store (the default one for None or ``""``)."""
        if not store_id:
            return self._backends[self.default_id]
        backend = self._backends.get(store_id)
        if backend is None:
            if not any(c.id == store_id for c in self.choices):
                raise InvalidParameterError(
                    "Query parameter store names no store this server offers; GET stores lists them"
                )
            backend = self._backends.setdefault(store_id, Backend(store_id))
        return backend

    def close(self) -> None:
        for backend in self._backends.values():
            backend.close()
