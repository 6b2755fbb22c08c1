"""REST endpoints of the model registry: listing, detail, stage moves, aliases, audit."""
from __future__ import annotations

import json

import pytest

API = "nbtrack/api"


async def test_models_list(seeded, get_json):
    body = await get_json("models")
    assert [m["name"] for m in body["models"]] == ["clf"]
    assert {v["version"] for v in body["models"][0]["latest_versions"]} == {2}


async def test_models_filter_and_bad_filter(seeded, get_json, fetch_error):
    assert (await get_json("models", filter="name = 'nope'"))["models"] == []
    code, body = await fetch_error("models", filter="name === 'x'")
    assert code == 400 and body["error"] == "InvalidFilterError" and "position" in body["message"]


async def test_model_detail_versions_and_audit(seeded, get_json):
    body = await get_json("models/clf")
    assert body["model"]["name"] == "clf"
    assert [v["version"] for v in body["versions"]] == [2, 1]
    assert all(v["run_id"] == seeded.good_run for v in body["versions"])
    assert [e["action"] for e in body["audit"]][:1] == ["create_registered_model"]


async def test_unknown_model_is_404(seeded, fetch_error):
    code, body = await fetch_error("models/ghost")
    assert code == 404 and body["error"] == "RegisteredModelNotFoundError"


async def test_stage_transition_changes_store_and_audit(seeded, jp_fetch, get_json):
    response = await jp_fetch(
        API, "models/clf/versions/2/stage", method="POST",
        body=json.dumps({"stage": "Production"}),
    )
    assert json.loads(response.body)["model_version"]["current_stage"] == "Production"
    assert seeded.client.get_model_version("clf", 2).current_stage == "Production"
    audit = (await get_json("models/clf"))["audit"]
    assert audit[-1]["action"] == "transition_model_version_stage"
    assert (audit[-1]["before"], audit[-1]["after"]) == ("None", "Production")
    assert audit[-1]["summary"] == "None → Production"
    created = next(e for e in audit if e["action"] == "create_registered_model")
    assert "description" not in created["summary"] and "tags" not in created["summary"]


async def test_stage_transition_archives_existing(seeded, jp_fetch):
    seeded.client.transition_model_version_stage("clf", 1, "Production")
    await jp_fetch(
        API, "models/clf/versions/2/stage", method="POST",
        body=json.dumps({"stage": "Production", "archive_existing_versions": True}),
    )
    assert seeded.client.get_model_version("clf", 1).current_stage == "Archived"
    assert seeded.client.get_model_version("clf", 2).current_stage == "Production"


@pytest.mark.parametrize(
    "endpoint, body, fragment",
    [
        ("models/clf/versions/1/stage", {"stage": "Live"}, "stage='Live'"),
        ("models/clf/versions/1/stage", {}, "stage=None"),
        ("models/clf/versions/1/stage", {"stage": "Staging", "archive_existing_versions": "yes"},
         "archive_existing_versions='yes'"),
        ("models/clf/versions/zero/stage", {"stage": "Staging"}, "'zero'"),
        ("models/clf/versions/0/stage", {"stage": "Staging"}, "'0'"),
        ("models/clf/aliases/champion", {"version": "one"}, "'one'"),
        ("models/clf/aliases/champion", {}, "None"),
        ("models/clf/aliases/bad alias!", {"version": 1}, "bad alias!"),
    ],
)
async def test_bad_write_requests_are_400(seeded, fetch_error, endpoint, body, fragment):
    code, reply = await fetch_error(endpoint, method="POST", body=json.dumps(body))
    assert code == 400, reply
    assert fragment in reply["message"]
    assert seeded.client.get_model_version("clf", 1).current_stage == "None"


@pytest.mark.parametrize("raw", ["not json", "[1, 2]"])
async def test_non_object_body_is_400(seeded, fetch_error, raw):
    code, reply = await fetch_error("models/clf/versions/1/stage", method="POST", body=raw)
    assert code == 400 and "Request body" in reply["message"]


async def test_stage_of_missing_version_is_404(seeded, fetch_error):
    code, reply = await fetch_error(
        "models/clf/versions/9/stage", method="POST", body=json.dumps({"stage": "Staging"})
    )
    assert code == 404 and reply["error"] == "ModelVersionNotFoundError"


async def test_alias_set_move_and_delete(seeded, jp_fetch):
    set_reply = await jp_fetch(
        API, "models/clf/aliases/champion", method="POST", body=json.dumps({"version": 1})
    )
    assert json.loads(set_reply.body)["model"]["aliases"] == {"champion": "1"}  # MLflow: strings
    await jp_fetch(API, "models/clf/aliases/champion", method="POST", body=json.dumps({"version": 2}))
    assert seeded.client.get_model_version_by_alias("clf", "champion").version == 2
    deleted = await jp_fetch(API, "models/clf/aliases/champion", method="DELETE")
    assert json.loads(deleted.body)["model"]["aliases"] == {}
    assert seeded.client.get_registered_model("clf").aliases == {}


async def test_alias_on_missing_model_is_404(seeded, fetch_error):
    code, reply = await fetch_error(
        "models/ghost/aliases/champion", method="POST", body=json.dumps({"version": 1})
    )
    assert code == 404
