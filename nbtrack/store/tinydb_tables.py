"""TinyDB's table API over a document that :mod:`.documents` already loaded and will write."""
from __future__ import annotations

from typing import Any

from tinydb.storages import Storage

__all__ = ["DictStorage"]


class DictStorage(Storage):
    """Lets TinyDB's table API work on a document already loaded (and written) by Documents."""

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    def read(self) -> dict[str, Any]:
        return self._data

    def write(self, data: dict[str, Any]) -> None:
        if data is not self._data:
            self._data.clear()
            self._data.update(data)
