"""The server extension serves other requests while one store call is slow."""
from __future__ import annotations

import asyncio
import json
import threading

API = "nbtrack/api"


async def test_a_request_waiting_on_the_store_does_not_hold_up_others(seeded, jp_fetch, get_json):
    # A real slow call: another writer holds the registry's lock, so an alias change waits on it.
    held, release = threading.Event(), threading.Event()

    def hold(state):
        held.set()
        release.wait(120)

    holder = threading.Thread(target=seeded.client._store.update_registry, args=(hold,))
    holder.start()
    try:
        assert held.wait(60)
        slow = asyncio.ensure_future(
            jp_fetch(API, "models/clf/aliases/champion", method="POST", body=json.dumps({"version": 2}))
        )
        # Generous bound only so a regression fails instead of hanging until the lock times out.
        experiments = await asyncio.wait_for(get_json("experiments"), timeout=50)
        runs = await asyncio.wait_for(get_json(f"experiments/{seeded.experiment_id}/runs"), timeout=50)
        assert experiments["experiments"] and runs["runs"]
        assert not slow.done()
    finally:
        release.set()
        holder.join(60)
    response = await slow
    assert json.loads(response.body)["model"]["aliases"] == {"champion": "2"}
