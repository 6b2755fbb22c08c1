"""``nbtrack report`` read in Chromium with scripts off and the network cut, and ``nbtrack ui``
serving the dashboard with Jupyter's token auth on."""
from __future__ import annotations

import os
import secrets
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from nbtrack.cli import main
from nbtrack.client import TrackingClient
from tests._support.lab import CHROMIUM, free_port, running_server

from .checks import contrast_problems
from .seed import seed_demo

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("demo")
    seed_demo(str(tmp / "store"), tmp / "artifacts")
    return tmp / "store"


def test_report_reads_offline_without_scripts(demo_store, browser, tmp_path, capsys):
    out = tmp_path / "report.html"
    assert main(["--tracking-uri", str(demo_store), "report", "mnist-mlp", "-o", str(out)]) == 0
    client = TrackingClient(str(demo_store))
    runs = client.search_runs([client.get_experiment_by_name("mnist-mlp").experiment_id])
    html = out.read_text()
    assert "<script" not in html and "http://" not in html.replace("http://www.w3.org", "")

    context = browser.new_context(java_script_enabled=False, offline=True)
    requests: list[str] = []
    context.on("request", lambda r: requests.append(r.url))
    page = context.new_page()
    page.goto(out.as_uri())
    rows = page.locator("#runs tbody tr")
    assert rows.count() == len(runs) == 9
    assert {rows.nth(i).get_attribute("data-run-id") for i in range(rows.count())} == {
        r.info.run_id for r in runs}
    charts = page.locator("figure[data-metric]")
    assert sorted(charts.evaluate_all("fs => fs.map(f => f.dataset.metric)")) == ["acc", "loss", "val_loss"]
    assert page.locator("figure[data-metric='loss'] path.line[d^='M']").count() == 7
    assert "sgd-lr0.1" in page.locator("#best-run").inner_text()
    assert page.locator("#params-diff tr.differs").count() >= 3
    assert requests == [out.as_uri()]  # the file itself, nothing else
    assert not contrast_problems(page, "body")
    context.close()


def test_report_of_unknown_experiment_is_an_error(demo_store, tmp_path, capsys):
    assert main(["--tracking-uri", str(demo_store), "report", "nope", "-o", str(tmp_path / "r.html")]) == 2
    assert "nope" in capsys.readouterr().err


@pytest.fixture(scope="module")
def ui_server(demo_store, tmp_path_factory):
    """``nbtrack ui STORE --port P`` with a known token (JUPYTER_TOKEN), stopped after."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed")
    tmp = tmp_path_factory.mktemp("ui")
    port, token = free_port(), secrets.token_hex(16)
    env = {**os.environ, "JUPYTER_TOKEN": token, "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"),
           "JUPYTER_CONFIG_DIR": str(tmp / "config")}
    env.pop("NBTRACK_TRACKING_URI", None)
    cmd = [sys.executable, "-m", "nbtrack.cli", "ui", str(demo_store), "--port", str(port), "--allow-root"]
    with running_server(cmd, env, tmp / "ui.log", port, token) as url:
        yield url, token


def _status(url: str, headers: dict[str, str] | None = None) -> int:
    request = urllib.request.Request(url, headers=headers or {})
    opener = urllib.request.build_opener(_NoRedirect())
    try:
        with opener.open(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_ui_requires_the_token(ui_server):
    url, token = ui_server
    assert _status(f"{url}/nbtrack/api/experiments") == 403
    assert _status(f"{url}/nbtrack/ui") in (302, 403)  # to the login page
    assert _status(f"{url}/nbtrack/api/experiments", {"Authorization": f"token {token}"}) == 200
    assert _status(f"{url}/nbtrack/ui", {"Authorization": f"token {token}"}) == 200


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_ui_serves_the_dashboard(ui_server, browser, scheme):
    url, token = ui_server
    context = browser.new_context(viewport={"width": 1300, "height": 800}, color_scheme=scheme)
    page = context.new_page()
    page.goto(f"{url}/nbtrack/ui?token={token}")
    page.locator('[data-testid="run-row"][data-run-name="adam-lr0.03"]').wait_for()
    page.get_by_test_id("dash-tab-models").click()
    page.locator('[data-testid="model-row"][data-model-name="mnist-clf"]').wait_for()
    page.get_by_test_id("dash-tab-runs").click()
    page.get_by_test_id("run-row").first.wait_for()
    problems = contrast_problems(page, "#nbtrack-root")
    assert not problems, "\n".join(problems)
    context.close()
