"""REST endpoints for logged media: image histories by key and step, tables as rows."""
from __future__ import annotations

import numpy as np
import pytest
from jupyter_server.utils import url_path_join


def _log_media(seeded) -> str:
    client, run = seeded.client, seeded.good_run
    for step in (0, 5, 10):
        client.log_image(run, np.full((8, 8, 3), step * 20, dtype=np.uint8), key="samples/input", step=step)
    client.log_image(run, np.zeros((4, 4), dtype=np.uint8), key="mask", step=2)
    client.log_table(run, {"text": ["<b>a</b>", "b"], "score": [0.5, float("nan")]}, "eval/preds.json")
    client.log_table(run, {"text": ["c"], "score": [1.0]}, "eval/preds.json")
    return run


async def test_media_lists_image_keys_by_step_and_tables(seeded, get_json):
    run = _log_media(seeded)
    body = await get_json(f"runs/{run}/media")
    assert [k["key"] for k in body["images"]] == ["mask", "samples/input"]
    steps = body["images"][1]["images"]
    assert [s["step"] for s in steps] == [0, 5, 10]
    assert steps[0]["path"].startswith("images/samples~input+step+0+")
    assert steps[0]["thumbnail_path"].endswith("+compressed.webp")
    assert body["tables"] == ["eval/preds.json"]
    image = await get_json(f"runs/{seeded.failed_run}/media")
    assert image == {"run_id": seeded.failed_run, "images": [], "tables": []}


async def test_table_rows_are_capped_and_text_stays_data(seeded, get_json, jp_fetch):
    run = _log_media(seeded)
    body = await get_json(f"runs/{run}/table", path="eval/preds.json")
    assert body["columns"] == ["text", "score"] and body["total_rows"] == 3
    assert body["data"][0] == ["<b>a</b>", 0.5] and body["data"][1][1] is None
    capped = await get_json(f"runs/{run}/table", path="eval/preds.json", max_rows="1")
    assert len(capped["data"]) == 1 and capped["total_rows"] == 3
    raw = await jp_fetch("nbtrack/api", f"runs/{run}/media")
    assert raw.headers["Content-Type"].startswith("application/json")


async def test_table_errors(seeded, fetch_error):
    run = _log_media(seeded)
    code, body = await fetch_error(f"runs/{run}/table", path="../../../meta.json")
    assert code in (400, 403) and body["error"] == "ArtifactPathError"
    code, body = await fetch_error(f"runs/{run}/table", path="missing.json")
    assert code == 404
    code, body = await fetch_error(f"runs/{run}/table", path="plots/curve.json")
    assert code == 400 and "not a logged table" in body["message"]
    code, body = await fetch_error(f"runs/{run}/table")
    assert code == 400


@pytest.mark.parametrize("endpoint", ["media", "table?path=eval/preds.json"])
async def test_media_needs_auth(seeded, http_server_client, jp_base_url, endpoint):
    run = _log_media(seeded)
    url = url_path_join(jp_base_url, "nbtrack/api", f"runs/{run}/{endpoint}")
    response = await http_server_client.fetch(url, raise_error=False)
    assert response.code == 403 and b"preds" not in response.body
