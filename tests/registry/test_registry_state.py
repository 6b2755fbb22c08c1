"""The registry rules on a plain dict: stages, versions, aliases, audit, and all-or-nothing errors."""
from __future__ import annotations

import copy
import itertools

import numpy as np
import pytest

from nbtrack.errors import (
    InvalidParameterError,
    ModelVersionNotFoundError,
    RegisteredModelAlreadyExistsError,
    RegisteredModelNotFoundError,
)
from nbtrack.registry import rules as rs

_clock = itertools.count(1_000)


def actor() -> rs.Actor:
    return rs.Actor("alice", "box", next(_clock))


@pytest.fixture
def state() -> dict:
    """Model 'm' with versions 1-3, all in stage None."""
    s: dict = {}
    rs.create_registered_model(s, actor(), "m", tags={"team": "ml"}, description="iris")
    for i in range(3):
        rs.create_model_version(s, actor(), "m", f"/src/{i + 1}", run_id=f"run{i + 1}")
    return s


def stages(s: dict) -> dict[int, str]:
    return {v.version: v.current_stage for v in rs.iter_model_versions(s)}


# -- arguments ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "given, canonical",
    [("none", "None"), ("STAGING", "Staging"), ("Production", "Production"), ("archived", "Archived")],
)
def test_stages_are_accepted_in_any_case_and_stored_canonical(state, given, canonical):
    assert rs.transition_stage(state, actor(), "m", 1, given).current_stage == canonical
    assert state["models"]["m"]["versions"]["1"]["current_stage"] == canonical


@pytest.mark.parametrize("bad", ["Prod", "", None, 3, "Staging "])
def test_bad_stage_lists_the_four(state, bad):
    with pytest.raises(InvalidParameterError, match="None, Staging, Production, Archived"):
        rs.transition_stage(state, actor(), "m", 1, bad)


@pytest.mark.parametrize("given, number", [(2, 2), ("2", 2), (" 3 ", 3), (np.int64(4), 4)])
def test_versions_accept_ints_and_numeric_strings(given, number):
    assert rs.coerce_version(given) == number
    assert type(rs.coerce_version(given)) is int


@pytest.mark.parametrize("bad", [0, -1, "x", "1.5", True, None, 1.0, "٣"])
def test_bad_versions_are_rejected(bad):
    with pytest.raises(InvalidParameterError, match="positive integer"):
        rs.coerce_version(bad)


@pytest.mark.parametrize("bad", ["", "has space", "a/b", "a.b", None, 7])
def test_alias_charset(bad):
    with pytest.raises(InvalidParameterError, match="letters, digits"):
        rs.validate_alias(bad)


@pytest.mark.parametrize("reserved", ["latest", "LATEST", "v1", "V12", "v007"])
def test_reserved_aliases(reserved):
    with pytest.raises(InvalidParameterError, match="reserved"):
        rs.validate_alias(reserved)


def test_alias_length_limit():
    assert rs.validate_alias("a" * 255) == "a" * 255
    with pytest.raises(InvalidParameterError, match="limit is 255"):
        rs.validate_alias("a" * 256)
    assert rs.validate_alias("v1x") == "v1x" and rs.validate_alias("champion_2-b") == "champion_2-b"


# -- models and versions --------------------------------------------------------------------


def test_create_duplicate_model_fails(state):
    with pytest.raises(RegisteredModelAlreadyExistsError, match="'m' already exists"):
        rs.create_registered_model(state, actor(), "m")


@pytest.mark.parametrize("bad", ["", "   ", None, 5, "x" * 501])
def test_bad_model_names(bad):
    with pytest.raises(InvalidParameterError, match="Registered model name"):
        rs.create_registered_model({}, actor(), bad)


def test_versions_are_never_reused_after_delete(state):
    rs.delete_model_version(state, actor(), "m", 3)
    assert rs.create_model_version(state, actor(), "m", "/src/4").version == 4
    rs.delete_model_version(state, actor(), "m", 4)
    rs.delete_model_version(state, actor(), "m", 2)
    assert rs.create_model_version(state, actor(), "m", "/src/5").version == 5
    assert sorted(stages(state)) == [1, 5]


def test_missing_model_and_version_messages(state):
    with pytest.raises(RegisteredModelNotFoundError, match="'nope' does not exist"):
        rs.get_registered_model(state, "nope")
    with pytest.raises(ModelVersionNotFoundError, match="no version 9 \\(versions: 1, 2, 3\\)"):
        rs.get_model_version(state, "m", 9)


def test_latest_versions_per_stage(state):
    rs.transition_stage(state, actor(), "m", 1, "Production")
    rs.transition_stage(state, actor(), "m", 2, "Production")
    latest = rs.get_registered_model(state, "m").latest_versions
    assert [(v.version, v.current_stage) for v in latest] == [(3, "None"), (2, "Production")]
    assert [v.version for v in rs.get_latest_versions(state, "m", ["production"])] == [2]
    assert [v.version for v in rs.get_latest_versions(state, "m", "Production")] == [2]
    assert rs.get_latest_versions(state, "m", ["Staging"]) == []
    assert rs.get_latest_versions(state, "m", []) == rs.get_latest_versions(state, "m", None)
    assert [v.version for v in rs.get_latest_versions(state, "m", ["None", "Production"])] == [3, 2]
    with pytest.raises(InvalidParameterError, match="'Live'"):
        rs.get_latest_versions(state, "m", ["Live"])


def test_archive_existing_versions(state):
    rs.transition_stage(state, actor(), "m", 1, "Production")
    rs.transition_stage(state, actor(), "m", 2, "Production")
    rs.transition_stage(state, actor(), "m", 3, "production", archive_existing_versions=True)
    assert stages(state) == {1: "Archived", 2: "Archived", 3: "Production"}
    rs.transition_stage(state, actor(), "m", 1, "Staging", archive_existing_versions=True)
    assert stages(state) == {1: "Staging", 2: "Archived", 3: "Production"}


@pytest.mark.parametrize("stage", ["None", "archived"])
def test_archive_flag_only_with_active_stages(state, stage):
    before = copy.deepcopy(state)
    with pytest.raises(InvalidParameterError, match="only works with stage Staging or Production"):
        rs.transition_stage(state, actor(), "m", 1, stage, archive_existing_versions=True)
    assert state == before


def test_no_version_in_stage_says_which_stages_exist(state):
    rs.transition_stage(state, actor(), "m", 1, "Staging")
    with pytest.raises(ModelVersionNotFoundError, match="no version in stage 'Production' \\(stages in use: None, Staging\\)"):
        rs.get_version_in_stage(state, "m", "production")


def test_rename_moves_versions_aliases_and_audit(state):
    rs.set_alias(state, actor(), "m", "champion", 2)
    rs.rename_registered_model(state, actor(), "m", "iris")
    assert "m" not in state["models"]
    assert rs.get_version_by_alias(state, "iris", "champion").name == "iris"
    events = rs.get_audit(state, "iris")
    assert events[0].action == "create_registered_model"
    assert (events[-1].action, events[-1].before, events[-1].after) == ("rename_registered_model", "m", "iris")
    rs.create_registered_model(state, actor(), "other")
    with pytest.raises(RegisteredModelAlreadyExistsError, match="'other'"):
        rs.rename_registered_model(state, actor(), "iris", "other")


def test_delete_model_keeps_its_audit(state):
    rs.delete_registered_model(state, actor(), "m")
    with pytest.raises(RegisteredModelNotFoundError):
        rs.get_registered_model(state, "m")
    last = rs.get_audit(state, "m")[-1]
    assert last.action == "delete_registered_model" and last.before["versions"] == [1, 2, 3]
    with pytest.raises(RegisteredModelNotFoundError, match="no audit trail"):
        rs.get_audit(state, "never")


def test_descriptions_and_tags(state):
    assert rs.update_registered_model(state, actor(), "m", "new").description == "new"
    assert rs.update_model_version(state, actor(), "m", "2", "v2 notes").description == "v2 notes"
    rs.set_registered_model_tag(state, actor(), "m", "owner", "bob")
    rs.set_model_version_tag(state, actor(), "m", 1, "validated", True)
    assert rs.get_registered_model(state, "m").tags == {"team": "ml", "owner": "bob"}
    assert rs.get_model_version(state, "m", 1).tags == {"validated": "True"}
    rs.delete_registered_model_tag(state, actor(), "m", "owner")
    rs.delete_model_version_tag(state, actor(), "m", 1, "validated")
    assert rs.get_model_version(state, "m", 1).tags == {}
    rs.delete_registered_model_tag(state, actor(), "m", "owner")  # already gone: a no-op, as in MLflow
    with pytest.raises(InvalidParameterError, match="description must be a string|Description must be a string"):
        rs.update_registered_model(state, actor(), "m", 42)
    with pytest.raises(InvalidParameterError, match="tag key"):
        rs.set_registered_model_tag(state, actor(), "m", "../x", "v")


def test_bad_source_is_rejected(state):
    with pytest.raises(InvalidParameterError, match="source must be a non-empty string"):
        rs.create_model_version(state, actor(), "m", "")


# -- aliases ------------------------------------------------------------------------------


def test_alias_moves_and_versions_list_their_aliases(state):
    rs.set_alias(state, actor(), "m", "champion", 1)
    rs.set_alias(state, actor(), "m", "stable", 1)
    assert rs.get_model_version(state, "m", 1).aliases == ["champion", "stable"]
    rs.set_alias(state, actor(), "m", "champion", "3")
    assert rs.get_version_by_alias(state, "m", "champion").version == 3
    assert rs.get_model_version(state, "m", 1).aliases == ["stable"]
    assert rs.get_registered_model(state, "m").aliases == {"champion": "3", "stable": "1"}
    move = rs.get_audit(state, "m")[-1]
    assert move.before == {"alias": "champion", "version": 1} and move.after == {"alias": "champion", "version": 3}


def test_alias_to_missing_version_fails_and_changes_nothing(state):
    before = copy.deepcopy(state)
    with pytest.raises(ModelVersionNotFoundError, match="no version 7"):
        rs.set_alias(state, actor(), "m", "champion", 7)
    assert state == before


def test_delete_alias_and_missing_alias(state):
    rs.set_alias(state, actor(), "m", "champion", 2)
    assert rs.delete_alias(state, actor(), "m", "champion") is True
    assert rs.delete_alias(state, actor(), "m", "champion") is False
    with pytest.raises(ModelVersionNotFoundError, match="no alias 'champion' \\(aliases: none\\)"):
        rs.get_version_by_alias(state, "m", "champion")
    with pytest.raises(InvalidParameterError, match="reserved"):
        rs.delete_alias(state, actor(), "m", "latest")


def test_deleting_a_version_drops_its_aliases(state):
    rs.set_alias(state, actor(), "m", "champion", 2)
    rs.set_alias(state, actor(), "m", "keep", 1)
    rs.delete_model_version(state, actor(), "m", 2)
    assert rs.get_registered_model(state, "m").aliases == {"keep": "1"}
    event = rs.get_audit(state, "m", 2)[-1]
    assert event.action == "delete_model_version" and event.before["aliases"] == ["champion"]


# -- audit ----------------------------------------------------------------------------------


def test_every_change_is_audited_with_who_when_before_after(state):
    rs.transition_stage(state, actor(), "m", 1, "Staging")
    rs.transition_stage(state, actor(), "m", 1, "Production")
    rs.set_alias(state, actor(), "m", "champion", 1)
    rs.set_alias(state, actor(), "m", "champion", 2)
    rs.delete_alias(state, actor(), "m", "champion")
    events = rs.get_audit(state, "m")
    assert [e.action for e in events] == [
        "create_registered_model", "create_model_version", "create_model_version", "create_model_version",
        "transition_model_version_stage", "transition_model_version_stage",
        "set_registered_model_alias", "set_registered_model_alias", "delete_registered_model_alias",
    ]
    assert all(e.user == "alice" and e.host == "box" for e in events)
    assert [e.timestamp for e in events] == sorted(e.timestamp for e in events)
    v1 = rs.get_audit(state, "m", 1)
    assert [(e.action, e.before, e.after) for e in v1[1:3]] == [
        ("transition_model_version_stage", "None", "Staging"),
        ("transition_model_version_stage", "Staging", "Production"),
    ]
    # the alias move away from version 1 shows in version 1's trail too
    assert [e.action for e in v1].count("set_registered_model_alias") == 2


def test_archived_by_flag_is_audited_with_reason(state):
    rs.transition_stage(state, actor(), "m", 1, "Production")
    rs.transition_stage(state, actor(), "m", 2, "Production", archive_existing_versions=True)
    archived = rs.get_audit(state, "m", 1)[-1]
    assert archived.before == "Production"
    assert archived.after == {"stage": "Archived", "reason": "archive_existing_versions (v2)"}


def test_actor_now_knows_user_and_host():
    a = rs.Actor.now()
    assert a.user and a.host and a.timestamp > 1_600_000_000_000
