"""REST run routes take what tables show: unique id prefixes and run names, not only full ids."""
from __future__ import annotations


async def test_run_routes_accept_prefixes_and_names(seeded, get_json):
    good = seeded.good_run
    for ref in (good, good[:8], "good"):
        body = await get_json(f"runs/{ref}")
        assert body["run"]["info"]["run_id"] == good
    history = await get_json(f"runs/{good[:6]}/metrics/loss")
    assert history["history"]
    files = await get_json(f"runs/{good[:6]}/artifacts")
    assert files["files"]


async def test_unknown_reference_is_404_naming_it(seeded, fetch_error):
    code, body = await fetch_error("runs/nosuchrun")
    assert code == 404 and "nosuchrun" in body["message"]
