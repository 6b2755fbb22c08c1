"""Bad values are refused at the call; one run's write failure never blocks other runs or reads."""
from __future__ import annotations

import pytest

import nbtrack
from nbtrack._validation import validate_key
from nbtrack.entities import Metric
from nbtrack.errors import InvalidParameterError, StoreWriteError

BAD_METRICS = [
    ("step", dict(key="m", value=1.0, step=2**64)),
    ("step", dict(key="m", value=1.0, step=2**63)),
    ("step", dict(key="m", value=1.0, step=-(2**63) - 1)),
    ("timestamp", dict(key="m", value=1.0, timestamp=2**63)),
    ("timestamp", dict(key="m", value=1.0, timestamp=-(2**64))),
    ("value", dict(key="m", value=10**400)),
    ("value", dict(key="m", value=10**5000)),
    ("value", dict(key="m", value="1.0")),
    ("value", dict(key="m", value=1j)),
    ("key", dict(key="loss\n", value=1.0)),
    ("key", dict(key=["a"], value=1.0)),
    ("key", dict(key="\ud800", value=1.0)),
]


@pytest.mark.parametrize("what,call", BAD_METRICS, ids=[f"{w}-{i}" for i, (w, _) in enumerate(BAD_METRICS)])
def test_bad_metric_is_refused_at_the_call_and_flushes_keep_working(tracking_uri, what, call):
    client = nbtrack.TrackingClient()
    with nbtrack.start_run() as run:
        other = client.create_run("0").info.run_id
        with pytest.raises(InvalidParameterError):
            nbtrack.log_metric(**call)
        with pytest.raises(InvalidParameterError):
            client.log_metric(run.info.run_id, call["key"], call["value"],
                              timestamp=call.get("timestamp"), step=call.get("step"))
        with pytest.raises(InvalidParameterError):
            client.log_batch(run.info.run_id, metrics=[Metric(call["key"], call["value"],
                                                              call.get("timestamp") or 1, call.get("step") or 0)])
        nbtrack.log_metric("ok", 1.0, step=2**63 - 1)
        client.log_metric(other, "ok", 2.0, step=-(2**63))
        nbtrack.flush()
        assert client.get_run(other).data.metrics == {"ok": 2.0}
    assert client.get_run(run.info.run_id).data.metrics == {"ok": 1.0}
    assert [m.step for m in client.get_metric_history(run.info.run_id, "ok")] == [2**63 - 1]


def test_validate_key_refuses_non_strings_and_trailing_newlines():
    for key in (["a"], {"a": 1}, None, 3, "a\n", "champion\n", "a\r", "x\ud800"):
        with pytest.raises(InvalidParameterError):
            validate_key(key)


def test_a_run_that_cannot_be_written_blocks_neither_other_runs_nor_reads(tracking_uri, tmp_path, no_background_flush):
    client = nbtrack.TrackingClient()
    stuck = client.create_run("0").info.run_id
    fine = client.create_run("0").info.run_id
    client.log_metric(stuck, "m", 1.0, step=0)
    client.flush()
    # A directory where the lock file must go: every write of that run's history fails (EISDIR).
    lock = tmp_path / "store" / ".locks" / f"metrics__{stuck}.lock"
    lock.unlink()
    lock.mkdir()
    for step in range(1, 51):
        client.log_metric(stuck, "m", float(step), step=step)
        client.log_metric(fine, "m", float(step), step=step)
    with pytest.raises(StoreWriteError) as err:
        client.flush()
    assert str(lock) in str(err.value) and "50 metric points" in str(err.value)
    # The other run's points were written by the same flush; reads of committed data work.
    assert len(client.get_metric_history(fine, "m")) == 50
    assert client.get_run(stuck).data.metrics == {"m": 1.0}
    assert [m.value for m in client.get_metric_history(stuck, "m")] == [1.0]
    assert client.search_runs(["0"], max_results=10)
    client.log_metric(fine, "m", 51.0, step=51)
    with pytest.raises(StoreWriteError):  # the failure is reported at the stuck run's next call
        client.log_metric(stuck, "m", 99.0, step=99)
    lock.rmdir()
    client.flush()
    assert [m.step for m in client.get_metric_history(stuck, "m")] == list(range(51))
    assert client.get_run(fine).data.metrics == {"m": 51.0}
