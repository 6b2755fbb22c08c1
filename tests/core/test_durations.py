"""One duration rule: end_time - start_time, written as the sidebar's formatDuration writes it."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from nbtrack._durations import format_duration, run_duration_ms


# Expected texts are what labextension/src/format.ts formatDuration gives (toFixed / Math.round:
# halves round up).
@pytest.mark.parametrize("ms, text", [
    (None, ""), (0, "0.0 s"), (1_250, "1.3 s"), (9_480, "9.5 s"), (10_800, "10.8 s"),
    (59_960, "60.0 s"), (60_000, "1 min 0 s"), (245_500, "4 min 6 s"), (7_380_000, "2.1 h"),
])
def test_format_duration_matches_the_sidebar(ms, text):
    assert format_duration(ms) == text


def test_duration_is_end_minus_start_and_runs_until_now_while_running():
    done = SimpleNamespace(start_time=1_000, end_time=10_480, status="FINISHED")
    assert run_duration_ms(done) == 9_480
    running = SimpleNamespace(start_time=1_000, end_time=None, status="RUNNING")
    assert run_duration_ms(running, now_ms=4_000) == 3_000
    killed_without_end = SimpleNamespace(start_time=1_000, end_time=None, status="KILLED")
    assert run_duration_ms(killed_without_end) is None


def test_cell_summary_and_tag_use_the_runs_own_times(client):
    run = client.create_run(client.create_experiment("d"), run_name="timed", start_time=1_000_000)
    client.set_terminated(run.info.run_id, end_time=1_009_480)
    from nbtrack.magics import summary_bundle

    bundle = summary_bundle(client.get_run(run.info.run_id), "d")
    assert "FINISHED in 9.5 s" in bundle["text/plain"] and "9.5 s" in bundle["text/html"]
