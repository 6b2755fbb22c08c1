"""GET runs/<a>/diff/<b>: the %track_diff comparison as JSON and escaped HTML (auth on)."""
from __future__ import annotations


async def test_diff_of_two_runs_as_data_and_html(seeded, get_json):
    seeded.client.set_tag(seeded.failed_run, "nbtrack.cell_source", "x = 2\nprint('<b>', x)")
    body = await get_json(f"runs/{seeded.good_run}/diff/{seeded.failed_run}")
    diff = body["diff"]
    assert diff["a_id"] == seeded.good_run and diff["b_id"] == seeded.failed_run
    assert "-x = 1" in diff["source"] and "+x = 2" in diff["source"]
    params = {c["key"]: (c["before"], c["after"]) for c in diff["params"]}
    assert params == {"lr": ("0.1", "0.5"), "model": ("rf", None)}
    metrics = {c["key"]: (c["before"], c["after"]) for c in diff["metrics"]}
    assert metrics["acc"][1] == 0.41 and metrics["weird"] == ("NaN", None)
    assert "&lt;b&gt;" in body["html"] and "<b>'" not in body["html"]


async def test_diff_takes_prefixes_and_names(seeded, get_json):
    body = await get_json(f"runs/{seeded.good_run[:8]}/diff/bad")
    assert body["diff"]["a_id"] == seeded.good_run and body["diff"]["b_id"] == seeded.failed_run


async def test_diff_with_an_unknown_run_is_404(seeded, fetch_error):
    code, body = await fetch_error(f"runs/{seeded.good_run}/diff/{'0' * 32}")
    assert code == 404 and body["error"] == "RunNotFoundError"
