"""REST handler of the store switcher: which stores the sidebar may browse (see :mod:`.stores`)."""
from __future__ import annotations

import tornado.web

from .base import NbtrackHandler

__all__ = ["ROUTES"]


class StoresHandler(NbtrackHandler):
    """GET stores -> {"stores": [{id, label, kind, default}], "default": id}

    Pass a store's ``id`` as ``store=<id>`` on any other endpoint to read that store.
    """

    @tornado.web.authenticated
    async def get(self) -> None:
        stores = self.store_choices
        self.reply({"stores": [c.to_json() for c in stores.choices], "default": stores.default_id})


ROUTES: list[tuple[str, type[NbtrackHandler]]] = [(r"stores", StoresHandler)]
