"""RegistryPanel: promotion buttons, aliases, audit trail; a failing action changes nothing."""
from __future__ import annotations

import logging

import pytest

import nbtrack
from nbtrack.errors import InvalidParameterError, RegisteredModelNotFoundError
from nbtrack.widgets import RegistryPanel

from .conftest import XSS
from .svgparse import elements, table_rows

MODEL = "iris <clf>"


@pytest.fixture
def model(client, experiment_id):
    """MODEL with versions 1..3 logged from one run."""
    run = client.create_run(experiment_id, run_name="trainer")
    for i in range(3):
        client.log_model(run.info.run_id, {"weights": i}, f"model{i}", registered_model_name=MODEL)
    return MODEL


def _button(panel: RegistryPanel, label: str):
    """The panel's button with exactly this label (browser tests click by the same text)."""
    found = [b for box in panel.children if hasattr(box, "children") for b in box.children
             if getattr(b, "description", None) == label and hasattr(b, "on_click")]
    assert len(found) == 1, label
    return found[0]


def _stages(client) -> dict[int, str]:
    return {mv.version: mv.current_stage for mv in client.search_model_versions() if mv.name == MODEL}


def _state(client):
    """Everything an action could change: stages, aliases, audit trail length."""
    versions = sorted((mv.version, mv.current_stage, mv.aliases) for mv in client.search_model_versions())
    return versions, len(client.get_registry_audit(MODEL))


def test_versions_table_newest_first_with_stage_aliases_and_run(client, model):
    panel = RegistryPanel(client=client)
    assert panel.model_name == MODEL and panel.version == 3
    rows = table_rows(panel.versions_table.value)
    assert rows[0] == ["version", "stage", "aliases", "run id", "source", "status", "updated"]
    assert [r[0] for r in rows[1:]] == ["3", "2", "1"]
    versions = {mv.version: mv for mv in client.search_model_versions(f"name = '{MODEL}'")}
    assert all(r[1] == "None" and r[3] == versions[int(r[0])].run_id[:8] for r in rows[1:])
    # short ids and sources, the full values one hover away
    ids = elements(panel.versions_table.value, "span", "nbtrack-id")
    assert {i["title"] for i in ids} == {mv.run_id for mv in versions.values()}
    assert all(not r[4].startswith("/") for r in rows[1:])
    audit = table_rows(panel.audit_table.value)
    assert audit[0] == ["when", "who", "action", "version", "change"]
    assert not any("tags={}" in r[4] or "description=" in r[4] for r in audit[1:])
    assert "<clf>" not in panel.versions_table.value and "&lt;clf&gt;" in panel.twin_bundle()["text/html"]


def test_promote_to_staging_then_production_archiving_existing(client, model):
    panel = RegistryPanel(client=client, model=MODEL)
    panel.version = 1
    _button(panel, "Promote to Production").click()
    assert _stages(client) == {1: "Production", 2: "None", 3: "None"}
    panel.version_picker.value = 2
    _button(panel, "Promote to Staging").click()
    assert _stages(client)[2] == "Staging"
    panel.version = 3
    panel.archive_existing.value = True
    _button(panel, "Promote to Production").click()
    assert _stages(client) == {1: "Archived", 2: "Staging", 3: "Production"}
    assert "Version 3 of iris &lt;clf&gt; is now in Production (other versions in it archived)" in panel.status.value
    stages = {r[0]: r[1] for r in table_rows(panel.versions_table.value)[1:]}
    assert stages == {"1": "Archived", "2": "Staging", "3": "Production"}
    assert panel.version == 3  # the selection survives the redraw


def test_archive_button(client, model):
    panel = RegistryPanel(client=client, model=MODEL)
    panel.version = 2
    _button(panel, "Archive").click()
    assert _stages(client)[2] == "Archived"


def test_set_and_move_an_alias_and_the_audit_trail_grows(client, model):
    panel = RegistryPanel(client=client, model=MODEL)
    audit_rows = len(table_rows(panel.audit_table.value))
    panel.version = 1
    panel.alias_box.value = "champion"
    _button(panel, "Set alias").click()
    assert client.get_model_version_by_alias(MODEL, "champion").version == 1
    panel.version = 3
    _button(panel, "Set alias").click()
    assert client.get_model_version_by_alias(MODEL, "champion").version == 3
    aliases = {r[0]: r[2] for r in table_rows(panel.versions_table.value)[1:]}
    assert aliases == {"3": "champion", "2": "", "1": ""}
    audit = table_rows(panel.audit_table.value)
    assert len(audit) == audit_rows + 2
    assert audit[1][2] == "set_registered_model_alias" and audit[1][3] == "3"  # newest first


def test_a_failing_action_shows_its_error_and_changes_nothing(client, model, caplog):
    panel = RegistryPanel(client=client, model=MODEL)
    before = _state(client)
    versions_html = panel.versions_table.value
    panel.alias_box.value = XSS
    with caplog.at_level(logging.ERROR, logger="nbtrack.widgets"):
        _button(panel, "Set alias").click()
    (record,) = caplog.records
    assert record.exc_info and "_on_alias failed" in record.getMessage()  # traceback logged
    assert "InvalidParameterError" in panel.status.value and "Invalid alias" in panel.status.value
    assert "<script>" not in panel.status.value and "&lt;script&gt;" in panel.status.value
    assert _state(client) == before
    assert panel.versions_table.value == versions_html
    panel.alias_box.value = "latest"  # reserved
    _button(panel, "Set alias").click()
    assert "reserved" in panel.status.value and _state(client) == before
    # the panel keeps working after failures
    panel.alias_box.value = "ok"
    _button(panel, "Set alias").click()
    assert client.get_model_version_by_alias(MODEL, "ok").version == 3


def test_acting_on_a_version_deleted_elsewhere_fails_cleanly(client, model, tracking_uri):
    panel = RegistryPanel(client=client, model=MODEL)
    panel.version = 2
    nbtrack.TrackingClient(tracking_uri).delete_model_version(MODEL, 2)
    before = _state(client)
    _button(panel, "Promote to Production").click()
    assert "ModelVersionNotFoundError" in panel.status.value
    assert _state(client) == before
    _button(panel, "Refresh").click()
    assert [value for _, value in panel.version_picker.options] == [3, 1]


def test_switching_models(client, model, experiment_id):
    run = client.create_run(experiment_id)
    client.log_model(run.info.run_id, {"w": 0}, "m", registered_model_name="other")
    panel = RegistryPanel(client=client, model="other")
    assert [r[0] for r in table_rows(panel.versions_table.value)[1:]] == ["1"]
    panel.model_picker.value = MODEL
    assert panel.model_name == MODEL and panel.version == 3
    assert len(table_rows(panel.versions_table.value)) == 4


def test_empty_registry(client):
    panel = RegistryPanel(client=client)
    assert panel.model_name is None and panel.version is None
    assert "No registered models yet" in panel.status.value
    assert all(_button(panel, label).disabled
               for label in ("Promote to Staging", "Promote to Production", "Archive", "Set alias"))


def test_bad_inputs(client, model):
    with pytest.raises(RegisteredModelNotFoundError):
        RegistryPanel(client=client, model="missing")
    with pytest.raises(InvalidParameterError, match="client must be"):
        RegistryPanel(client=object())
