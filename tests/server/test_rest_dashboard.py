"""REST endpoints the dashboard adds: LTTB series, tag and note edits, store info, filter errors."""
from __future__ import annotations

import json

import numpy as np
import pytest

from nbtrack.reporting.lttb import lttb_indices

API = "nbtrack/api"


def test_lttb_keeps_ends_and_spikes():
    x = np.arange(10_000, dtype=float)
    y = np.sin(x / 500)
    y[4321] = 50.0  # a spike every-k-th sampling would miss
    keep = lttb_indices(x, y, 200)
    assert len(keep) == 200 and keep[0] == 0 and keep[-1] == 9_999
    assert 4321 in keep
    assert np.all(np.diff(keep) > 0)


def test_lttb_never_picks_nan_and_passes_short_series_through():
    x = np.arange(100, dtype=float)
    y = np.where(x % 2 == 0, np.nan, x)
    keep = lttb_indices(x, y, 20)
    assert all(np.isfinite(y[i]) for i in keep[1:-1])
    assert list(lttb_indices(x[:5], y[:5], 20)) == [0, 1, 2, 3, 4]


async def test_series_is_thinned_in_columns(seeded, get_json):
    client = seeded.client
    run = client.create_run(seeded.experiment_id, run_name="long").info.run_id
    for step in range(3000):
        client.log_metric(run, "loss", 1.0 / (step + 1), step=step)
    client.flush()
    body = await get_json(f"runs/{run}/series/loss", max_points="100")
    assert body["total"] == 3000 and body["x"] == "step"
    assert len(body["step"]) == len(body["value"]) == len(body["timestamp"]) == 100
    assert body["step"][0] == 0 and body["step"][-1] == 2999
    by_time = await get_json(f"runs/{run}/series/loss", x="time", max_points="50")
    assert len(by_time["value"]) == 50


async def test_series_non_finite_values_are_strings(seeded, get_json):
    body = await get_json(f"runs/{seeded.good_run}/series/weird")
    assert body["value"] == ["NaN"]


async def test_series_bad_axis_is_400(seeded, fetch_error):
    code, body = await fetch_error(f"runs/{seeded.good_run}/series/loss", x="epoch")
    assert code == 400 and "'epoch'" in body["message"]


async def test_tag_and_note_edits(seeded, jp_fetch):
    note = {"value": "tried a lower lr"}
    reply = await jp_fetch(API, f"runs/{seeded.good_run}/tags/mlflow.note.content", method="PUT",
                           body=json.dumps(note))
    assert json.loads(reply.body)["tags"]["mlflow.note.content"] == "tried a lower lr"
    assert seeded.client.get_run(seeded.good_run).data.tags["mlflow.note.content"] == "tried a lower lr"
    reply = await jp_fetch(API, f"runs/{seeded.good_run}/tags/mlflow.note.content", method="DELETE")
    assert "mlflow.note.content" not in json.loads(reply.body)["tags"]


async def test_tag_value_must_be_a_string(seeded, fetch_error):
    code, body = await fetch_error(f"runs/{seeded.good_run}/tags/k", method="PUT", body='{"value": 3}')
    assert code == 400 and body["error"] == "InvalidParameterError"


async def test_tag_of_unknown_run_is_404(seeded, fetch_error):
    code, _ = await fetch_error("runs/nope/tags/k", method="PUT", body='{"value": "v"}')
    assert code == 404


async def test_store_and_model_versions_of_a_run(seeded, store_uri, get_json):
    assert (await get_json("store"))["tracking_uri"].endswith(store_uri)
    versions = (await get_json(f"runs/{seeded.good_run}/model-versions"))["model_versions"]
    assert [(v["name"], v["version"]) for v in versions] == [("clf", 1), ("clf", 2)]


async def test_filter_error_carries_its_position(seeded, fetch_error):
    code, body = await fetch_error("runs", experiment_ids=seeded.experiment_id, filter="metrics.acc >> 1")
    assert code == 400 and body["position"] == 13


@pytest.mark.parametrize("verb", ["PUT", "DELETE"])
async def test_tag_edits_need_auth(seeded, jp_fetch, verb):
    from tornado.httpclient import HTTPClientError

    with pytest.raises(HTTPClientError) as info:
        await jp_fetch(API, f"runs/{seeded.good_run}/tags/k", method=verb, body='{"value": "v"}' if verb == "PUT" else None,
                       headers={"Authorization": ""}, allow_nonstandard_methods=True)
    assert info.value.code in (401, 403)


async def test_one_chart_in_one_request(seeded, get_json):
    client = seeded.client
    stepped = client.create_run(seeded.experiment_id, run_name="stepped").info.run_id
    flat = client.create_run(seeded.experiment_id, run_name="flat").info.run_id
    for i in range(500):
        client.log_metric(stepped, "loss", 1.0 / (i + 1), step=i)
        client.log_metric(flat, "loss", 2.0 / (i + 1), step=0, timestamp=1_700_000_000_000 + i)
    client.flush()
    both = await get_json("series", run_ids=f"{stepped},{flat}", key="loss", max_points="50")
    assert both["x"] == "step" and [s["run_id"] for s in both["series"]] == [stepped, flat]
    assert [s["total"] for s in both["series"]] == [500, 500]
    assert all(len(s["value"]) == 50 for s in both["series"])
    alone = await get_json("series", run_ids=flat, key="loss", x="auto", max_points="50")
    assert alone["x"] == "time"  # every point at step 0: the server picks time
    assert alone["series"][0]["timestamp"][-1] == 1_700_000_000_499


async def test_chart_needs_runs_and_key(seeded, fetch_error):
    code, body = await fetch_error("series", key="loss")
    assert code == 400 and "run_ids" in body["message"]
    code, body = await fetch_error("series", run_ids=seeded.good_run, key="loss", x="epoch")
    assert code == 400
