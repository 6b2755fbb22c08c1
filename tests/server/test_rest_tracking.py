"""REST endpoints for experiments, runs, metric histories and artifacts (auth header on)."""
from __future__ import annotations

import json

import pytest

API = "nbtrack/api"


async def test_experiments_lists_the_store(seeded, get_json):
    body = await get_json("experiments")
    names = {e["name"]: e for e in body["experiments"]}
    assert "vision" in names and names["vision"]["experiment_id"] == seeded.experiment_id
    assert set(names["vision"]) >= {"experiment_id", "name", "lifecycle_stage", "tags"}


async def test_experiments_view_deleted(seeded, get_json):
    seeded.client.delete_experiment(seeded.experiment_id)
    active = await get_json("experiments")
    deleted = await get_json("experiments", view="deleted")
    assert seeded.experiment_id not in {e["experiment_id"] for e in active["experiments"]}
    assert [e["name"] for e in deleted["experiments"]] == ["vision"]


async def test_experiments_bad_view_is_400(seeded, fetch_error):
    code, body = await fetch_error("experiments", view="sideways")
    assert code == 400
    assert body["error"] == "InvalidParameterError" and "'sideways'" in body["message"]


async def test_runs_of_an_experiment_with_status_and_stale_flag(seeded, get_json):
    body = await get_json(f"experiments/{seeded.experiment_id}/runs")
    runs = {r["info"]["run_name"]: r for r in body["runs"]}
    assert set(runs) == {"good", "bad", "orphan"}
    assert runs["good"]["info"]["status"] == "FINISHED" and runs["good"]["stale"] is False
    assert runs["bad"]["info"]["status"] == "FAILED"
    assert runs["orphan"]["info"]["status"] == "RUNNING" and runs["orphan"]["stale"] is True
    assert runs["good"]["data"]["params"] == {"lr": "0.1", "model": "rf"}
    assert runs["good"]["data"]["metrics"]["acc"] == pytest.approx(0.93)
    assert body["next_page_token"] is None


async def test_non_finite_metrics_are_strings_in_strict_json(seeded, jp_fetch):
    response = await jp_fetch(API, "runs", seeded.good_run)
    text = response.body.decode()
    assert "NaN" not in text.replace('"NaN"', "")  # no bare NaN token anywhere
    run = json.loads(text, parse_constant=lambda c: pytest.fail(f"bare {c} in JSON"))["run"]
    assert run["data"]["metrics"]["weird"] == "NaN"


async def test_runs_query_route_filter_and_order(seeded, get_json):
    body = await get_json(
        "runs", experiment_ids=seeded.experiment_id, filter="metrics.acc > 0.5"
    )
    assert [r["info"]["run_id"] for r in body["runs"]] == [seeded.good_run]
    ordered = await get_json(
        "runs", experiment_ids=seeded.experiment_id, filter="params.lr != ''",
        order_by="metrics.acc ASC",
    )
    assert [r["info"]["run_name"] for r in ordered["runs"]] == ["bad", "good"]


async def test_runs_paging_follows_tokens(seeded, get_json):
    first = await get_json("runs", experiment_ids=seeded.experiment_id, max_results="2")
    assert len(first["runs"]) == 2 and first["next_page_token"]
    second = await get_json(
        "runs", experiment_ids=seeded.experiment_id, max_results="2",
        page_token=first["next_page_token"],
    )
    ids = [r["info"]["run_id"] for r in first["runs"] + second["runs"]]
    assert sorted(ids) == sorted([seeded.good_run, seeded.failed_run, seeded.stale_run])
    assert second["next_page_token"] is None


async def test_bad_filter_is_400_with_position(seeded, fetch_error):
    code, body = await fetch_error(
        "runs", experiment_ids=seeded.experiment_id, filter="metrics.acc >> 1"
    )
    assert code == 400
    assert body["error"] == "InvalidFilterError"
    assert "at position 13" in body["message"] and "metrics.acc >> 1" in body["message"]


async def test_bad_order_by_is_400(seeded, fetch_error):
    code, body = await fetch_error(
        f"experiments/{seeded.experiment_id}/runs", order_by="metrics.acc SIDEWAYS"
    )
    assert code == 400 and body["error"] == "InvalidFilterError"
    assert "position" in body["message"]


@pytest.mark.parametrize("value", ["0", "abc", "100000"])
async def test_bad_max_results_is_400(seeded, fetch_error, value):
    code, body = await fetch_error("runs", experiment_ids=seeded.experiment_id, max_results=value)
    assert code == 400
    assert f"max_results={value!r}" in body["message"] and "1 to 1000" in body["message"]


async def test_runs_without_experiment_ids_is_400(seeded, fetch_error):
    code, body = await fetch_error("runs")
    assert code == 400 and "experiment_ids" in body["message"]


async def test_runs_of_unknown_experiment_is_404(seeded, fetch_error):
    code, body = await fetch_error("experiments/999/runs")
    assert code == 404 and body["error"] == "ExperimentNotFoundError"


async def test_one_run(seeded, get_json):
    body = await get_json(f"runs/{seeded.good_run}")
    run = body["run"]
    assert run["info"]["run_id"] == seeded.good_run and run["stale"] is False
    assert run["data"]["tags"]["nbtrack.cell_source"] == "x = 1\nprint(x)"
    assert run["info"]["end_time"] >= run["info"]["start_time"]


async def test_stale_run_detail(seeded, get_json):
    body = await get_json(f"runs/{seeded.stale_run}")
    assert body["run"]["stale"] is True


async def test_unknown_run_is_404(seeded, fetch_error):
    code, body = await fetch_error("runs/does-not-exist")
    assert code == 404 and body["error"] == "RunNotFoundError"
    assert "does-not-exist" in body["message"]


async def test_metric_history(seeded, get_json):
    body = await get_json(f"runs/{seeded.good_run}/metrics/loss")
    assert body["key"] == "loss"
    assert [p["step"] for p in body["history"]] == list(range(10))
    assert body["history"][0]["value"] == 1.0 and body["history"][3]["value"] == 0.25


async def test_metric_history_downsampled_keeps_ends(seeded, get_json):
    body = await get_json(f"runs/{seeded.good_run}/metrics/loss", max_points="4")
    steps = [p["step"] for p in body["history"]]
    assert len(steps) == 4 and steps[0] == 0 and steps[-1] == 9


async def test_metric_history_with_slash_in_key(seeded, jp_fetch, get_json):
    seeded.client.log_metric(seeded.failed_run, "val/loss", 0.5, step=1)
    body = await get_json(f"runs/{seeded.failed_run}/metrics/val/loss")
    assert [p["value"] for p in body["history"]] == [0.5]


async def test_metric_history_of_unknown_run_is_404(seeded, fetch_error):
    code, _ = await fetch_error("runs/nope/metrics/loss")
    assert code == 404


async def test_metric_history_bad_max_points_is_400(seeded, fetch_error):
    code, body = await fetch_error(f"runs/{seeded.good_run}/metrics/loss", max_points="-1")
    assert code == 400 and "max_points" in body["message"]


async def test_artifact_listing(seeded, get_json):
    root = await get_json(f"runs/{seeded.good_run}/artifacts")
    files = {f["path"]: f for f in root["files"]}
    assert files["notes.txt"] == {"path": "notes.txt", "is_dir": False, "file_size": 15}
    assert files["plots"]["is_dir"] is True
    sub = await get_json(f"runs/{seeded.good_run}/artifacts", path="plots")
    assert [f["path"] for f in sub["files"]] == ["plots/curve.json"]


async def test_artifact_download_streams_bytes_with_type(seeded, jp_fetch):
    response = await jp_fetch(API, "runs", seeded.good_run, "artifact", params={"path": "notes.txt"})
    assert response.body == b"hello artifacts"
    assert response.headers["Content-Type"].startswith("text/plain")
    assert "notes.txt" in response.headers["Content-Disposition"]
    nested = await jp_fetch(
        API, "runs", seeded.good_run, "artifact", params={"path": "plots/curve.json"}
    )
    assert json.loads(nested.body) == {"x": [1, 2]}
    assert nested.headers["Content-Type"] == "application/json"


async def test_artifact_download_of_big_file_is_complete(seeded, jp_fetch, tmp_path):
    big = tmp_path / "big.bin"
    payload = bytes(range(256)) * 2048  # 512 KiB: several 64 KiB chunks
    big.write_bytes(payload)
    seeded.client.log_artifact(seeded.failed_run, str(big))
    response = await jp_fetch(API, "runs", seeded.failed_run, "artifact", params={"path": "big.bin"})
    assert response.body == payload
    assert response.headers["Content-Type"] == "application/octet-stream"


async def test_missing_artifact_is_404(seeded, fetch_error):
    code, body = await fetch_error(f"runs/{seeded.good_run}/artifact", path="nope.txt")
    assert code == 404 and body["error"] == "ArtifactNotFoundError"


async def test_directory_download_is_404_with_hint(seeded, fetch_error):
    code, body = await fetch_error(f"runs/{seeded.good_run}/artifact", path="plots")
    assert code == 404 and "directory" in body["message"]


async def test_download_without_path_is_400(seeded, fetch_error):
    code, body = await fetch_error(f"runs/{seeded.good_run}/artifact")
    assert code == 400 and "path" in body["message"]
