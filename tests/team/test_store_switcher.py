"""The store switcher: a real ``jupyter lab`` whose sidebar browses its local store and a real
MLflow tracking server, over REST and in headless Debian Chromium (playwright).

Every wait is on a condition with a timeout; the lab loads the extension built in this checkout.
"""
from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from nbtrack import TrackingClient
from nbtrack.entities import Metric, Param
from tests._support.lab import CHROMIUM, chromium_page, free_port, lab_env, serve_lab

pytestmark = pytest.mark.slow

SECRET = "s3cr3t-pass-word"


def _seed(uri: str, experiment: str, runs: list[str]) -> None:
    client = TrackingClient(uri)
    exp_id = client.create_experiment(experiment)
    for i, name in enumerate(runs):
        run = client.create_run(exp_id, run_name=name)
        client.log_batch(run.info.run_id, metrics=[Metric("acc", 0.5 + i / 10, 0, s) for s in range(3)],
                         params=[Param("where", experiment)])
        client.log_text(run.info.run_id, f"{name} in {experiment}", "notes/hello.txt")
        client.set_terminated(run.info.run_id)


@dataclass
class Lab:
    url: str
    token: str
    local: str
    remote: str
    log: Path
    local_experiment: str
    remote_experiment: str

    def get(self, route: str, **query: str) -> tuple[int, dict]:
        url = f"{self.url}/nbtrack/api/{route}?{urllib.parse.urlencode(query)}"
        request = urllib.request.Request(url, headers={"Authorization": f"token {self.token}"})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read())

    def raw(self, route: str, **query: str) -> bytes:
        url = f"{self.url}/nbtrack/api/{route}?{urllib.parse.urlencode(query)}"
        request = urllib.request.Request(url, headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.read()


@pytest.fixture(scope="module")
def lab(mlflow_server, tmp_path_factory):
    """``jupyter lab`` on a local store, offering the shared MLflow server (and a URI with a
    password, which must be left out) in its store switcher."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed")
    tmp = tmp_path_factory.mktemp("switcher")
    root, local = tmp / "root", tmp / "local-store"
    root.mkdir()
    suffix = uuid.uuid4().hex[:6]
    local_exp, remote_exp = f"local-{suffix}", f"remote-{suffix}"
    _seed(str(local), local_exp, ["here-a", "here-b"])
    _seed(mlflow_server.uri, remote_exp, ["there-a", "there-b", "there-c"])
    env = lab_env(tmp, local)
    log = tmp / "lab.log"
    with_password = f"http://admin:{SECRET}@127.0.0.1:{free_port()}"
    with serve_lab(root, env, log, f"--NbtrackConfig.stores={mlflow_server.uri}",
                   f"--NbtrackConfig.stores={with_password}") as (url, token):
        yield Lab(url, token, f"tinydb://{local}", mlflow_server.uri, log, local_exp, remote_exp)


def _names(reply: dict) -> set[str]:
    return {e["name"] for e in reply["experiments"]}


def test_rest_lists_stores_and_reads_the_one_named(lab):
    status, reply = lab.get("stores")
    assert status == 200
    assert [s["id"] for s in reply["stores"]] == [lab.local, lab.remote]
    assert [s["kind"] for s in reply["stores"]] == ["local", "mlflow"]
    assert reply["default"] == lab.local and reply["stores"][0]["default"]
    assert SECRET not in json.dumps(reply) and "admin" not in json.dumps(reply)

    assert lab.local_experiment in _names(lab.get("experiments")[1])
    status, remote = lab.get("experiments", store=lab.remote)
    assert status == 200 and lab.remote_experiment in _names(remote)
    assert lab.local_experiment not in _names(remote)
    assert remote["tracking_uri"] == lab.remote
    exp_id = next(e["experiment_id"] for e in remote["experiments"] if e["name"] == lab.remote_experiment)
    status, runs = lab.get(f"experiments/{exp_id}/runs", store=lab.remote)
    assert status == 200
    assert sorted(r["info"]["run_name"] for r in runs["runs"]) == ["there-a", "there-b", "there-c"]


def test_artifacts_of_a_remote_run_download(lab):
    """The download route copies a server run's artifact through MLflow and sends its bytes."""
    exp_id = next(e["experiment_id"] for e in lab.get("experiments", store=lab.remote)[1]["experiments"]
                  if e["name"] == lab.remote_experiment)
    runs = lab.get(f"experiments/{exp_id}/runs", store=lab.remote)[1]["runs"]
    run = next(r for r in runs if r["info"]["run_name"] == "there-b")
    body = lab.raw(f"runs/{run['info']['run_id']}/artifact", path="notes/hello.txt", store=lab.remote)
    assert body == f"there-b in {lab.remote_experiment}".encode()
    status, reply = lab.get(f"runs/{run['info']['run_id']}/artifact", path="notes/missing.txt", store=lab.remote)
    assert status == 404 and reply["error_code"] == "RESOURCE_DOES_NOT_EXIST"


def test_only_offered_stores_can_be_named_and_credentials_never_show(lab, tmp_path):
    # The configured URI with a password is left out, and the server log never repeats it
    # (checked before this test puts one in a request URL, which Jupyter's access log prints).
    assert "left out of the switcher" in lab.log.read_text(errors="replace")
    assert SECRET not in lab.log.read_text(errors="replace")
    for other in ("http://127.0.0.1:1", str(tmp_path), f"http://admin:{SECRET}@127.0.0.1:1"):
        status, reply = lab.get("experiments", store=other)
        assert status == 400 and reply["error_code"] == "INVALID_PARAMETER_VALUE"
        assert SECRET not in json.dumps(reply)


def test_sidebar_switches_between_the_local_store_and_the_server(lab):
    with chromium_page(f"{lab.url}/lab?token={lab.token}") as page:
        page.locator('.jp-SideBar [data-id="nbtrack-experiments"]').click()
        panel = page.get_by_test_id("nbtrack-panel")
        panel.wait_for()
        switcher = page.get_by_test_id("store-switcher")
        switcher.wait_for()
        # Compact: the switcher fits the sidebar at its default width.
        panel_box, switch_box = panel.bounding_box(), switcher.bounding_box()
        assert panel_box["width"] <= 300
        assert switch_box["x"] + switch_box["width"] <= panel_box["x"] + panel_box["width"]
        labels = switcher.locator("option").all_inner_texts()
        assert len(labels) == 2 and labels[1].startswith("MLflow 127.0.0.1:")
        assert SECRET not in page.content()

        _choose_experiment(page, lab.local_experiment)
        _row(page, "here-a").wait_for()

        switcher.select_option(lab.remote)
        page.get_by_test_id("store-uri").filter(has_text=lab.remote).wait_for()
        _choose_experiment(page, lab.remote_experiment)
        for name in ("there-a", "there-b", "there-c"):
            _row(page, name).wait_for()
        assert _row(page, "here-a").count() == 0
        _row(page, "there-b").click()
        assert lab.remote_experiment in page.get_by_test_id("run-detail").inner_text()

        switcher.select_option(lab.local)
        page.get_by_test_id("store-uri").filter(has_text=lab.local[len("tinydb://"):]).wait_for()
        _choose_experiment(page, lab.local_experiment)
        _row(page, "here-b").wait_for()


def _choose_experiment(page, name: str) -> None:
    select = page.get_by_test_id("experiment-select")
    select.locator("option", has_text=name).wait_for(state="attached")
    select.select_option(label=name)


def _row(page, name: str):
    return page.locator(f'[data-testid="run-row"][data-run-name="{name}"]')
