"""%log_params, %log_metrics, %set_tags, %track_experiment on a real shell and store."""
from __future__ import annotations

import math

import pytest
from IPython.core.error import UsageError

import nbtrack

from .conftest import all_runs


@pytest.fixture
def run(ip):
    with nbtrack.start_run(run_name="target") as active:
        yield active.info.run_id


# -- %log_params --------------------------------------------------------------------------------
def test_log_params_from_names_and_literals(ip, client, run):
    ip.user_ns.update(lr=0.001, layers=(3, 4))
    ip.run_line_magic("log_params", "lr layers opt=adam wd=1e-4 sizes=[1,2] label='two words'")
    assert client.get_run(run).data.params == {
        "lr": "0.001", "layers": "(3, 4)", "opt": "adam", "wd": "0.0001", "sizes": "[1, 2]",
        "label": "two words"}


def test_log_params_inside_a_cell(ip, client, run):
    assert ip.run_cell("%log_params depth=3").success
    assert client.get_run(run).data.params == {"depth": "3"}


@pytest.mark.parametrize(
    "line, message",
    [
        ("", "needs at least one NAME or KEY=VALUE"),
        ("missing_name", "variable 'missing_name' is not defined"),
        ("=3", "must be KEY=VALUE, got '=3'"),
        ("'bad!key'=3", "Invalid param key"),
        ("--flag", "unrecognized arguments"),
    ],
)
def test_log_params_bad_input(ip, client, run, line, message):
    with pytest.raises(UsageError, match=message):
        ip.run_line_magic("log_params", line)
    assert client.get_run(run).data.params == {}


def test_log_params_changing_a_value_is_refused(ip, client, run):
    ip.run_line_magic("log_params", "lr=0.1")
    with pytest.raises(UsageError, match="already '0.1'"):
        ip.run_line_magic("log_params", "lr=0.2")


def test_log_params_without_a_run_says_how_to_start_one(ip):
    with pytest.raises(UsageError, match="no active run.*%%track_run"):
        ip.run_line_magic("log_params", "a=1")


# -- %log_metrics -------------------------------------------------------------------------------
def test_log_metrics_with_step(ip, client, run):
    ip.run_line_magic("log_metrics", "loss=0.3 acc=0.9 --step 7")
    ip.run_line_magic("log_metrics", "loss=0.2 --step 8")
    assert client.get_run(run).data.metrics == {"loss": 0.2, "acc": 0.9}
    assert [(m.step, m.value) for m in client.get_metric_history(run, "loss")] == [(7, 0.3), (8, 0.2)]


def test_log_metrics_default_step_and_special_values(ip, client, run):
    ip.run_line_magic("log_metrics", "a=1 b=-2.5 c=nan d=inf")
    metrics = client.get_run(run).data.metrics
    assert metrics["a"] == 1.0 and metrics["b"] == -2.5
    assert math.isnan(metrics["c"]) and metrics["d"] == math.inf
    assert client.get_metric_history(run, "a")[0].step == 0


@pytest.mark.parametrize(
    "line, message",
    [
        ("", "needs at least one KEY=VALUE"),
        ("loss", "must be KEY=VALUE, got 'loss'"),
        ("loss=abc", "metric 'loss' must be a number, got 'abc'"),
        ("loss=[1]", "metric 'loss' must be a number"),
        ("ok=True", "metric 'ok' must be a number"),
        ("loss=1 --step x", "invalid int value: 'x'"),
        ("'a b!'=1", "Invalid metric key"),
    ],
)
def test_log_metrics_bad_input(ip, client, run, line, message):
    with pytest.raises(UsageError, match=message):
        ip.run_line_magic("log_metrics", line)
    assert client.get_run(run).data.metrics == {}


def test_log_metrics_without_a_run(ip):
    with pytest.raises(UsageError, match="no active run"):
        ip.run_line_magic("log_metrics", "loss=1")


# -- %set_tags ----------------------------------------------------------------------------------
def test_set_tags(ip, client, run):
    ip.run_line_magic("set_tags", "stage=tuning note='first try' n=3")
    tags = client.get_run(run).data.tags
    assert tags["stage"] == "tuning" and tags["note"] == "first try" and tags["n"] == "3"


@pytest.mark.parametrize(
    "line, message",
    [("", "needs at least one KEY=VALUE"), ("stage", "must be KEY=VALUE, got 'stage'"),
     ("'x y!'=1", "Invalid tag key")],
)
def test_set_tags_bad_input(ip, client, run, line, message):
    with pytest.raises(UsageError, match=message):
        ip.run_line_magic("set_tags", line)


@pytest.mark.parametrize("magic", ["set_tags", "log_params", "log_metrics"])
def test_unbalanced_quotes_are_a_usage_error(ip, run, magic):
    with pytest.raises(UsageError, match="cannot split .*No closing quotation"):
        ip.run_line_magic(magic, 'note="unclosed')


def test_backslashes_are_kept(ip, client, run):
    ip.run_line_magic("set_tags", r"path=C:\data\runs")
    assert client.get_run(run).data.tags["path"] == r"C:\data\runs"


def test_set_tags_without_a_run(ip):
    with pytest.raises(UsageError, match="no active run"):
        ip.run_line_magic("set_tags", "a=b")


# -- %track_experiment --------------------------------------------------------------------------
def test_track_experiment_sets_where_the_next_runs_go(ip, client, capsys):
    ip.run_line_magic("track_experiment", "'image models'")
    assert ip.run_cell("%%track_run r\npass").success
    exp = client.get_experiment_by_name("image models")
    assert [r.info.run_name for r in client.search_runs([exp.experiment_id])] == ["r"]
    assert f"experiment 'image models' (id {exp.experiment_id}) is active" in capsys.readouterr().out


def test_track_experiment_twice_reuses_it(ip, client):
    ip.run_line_magic("track_experiment", "same")
    ip.run_line_magic("track_experiment", "same")
    assert [e.name for e in client.search_experiments()].count("same") == 1


@pytest.mark.parametrize("line, message", [("", "needs an experiment NAME, --uri URI, or both"),
                                           ("a b", "unrecognized arguments: b"),
                                           ("' '", "must not be empty")])
def test_track_experiment_bad_input(ip, line, message):
    with pytest.raises(UsageError, match=message):
        ip.run_line_magic("track_experiment", line)


def test_magics_work_inside_a_tracked_cell(ip, client):
    body = "%log_params k=1\n%log_metrics m=2 --step 1\n%set_tags t=3\n"
    assert ip.run_cell("%%track_run inner\n" + body).success
    [r] = all_runs(client)
    assert (r.data.params, r.data.metrics, r.data.tags["t"]) == ({"k": "1"}, {"m": 2.0}, "3")


def test_bad_magic_inside_a_tracked_cell_fails_the_run(ip, client):
    result = ip.run_cell("%%track_run inner\n%log_metrics loss=oops\n")
    assert not result.success
    [r] = all_runs(client)
    assert r.info.status == "FAILED" and "must be a number" in r.data.tags["nbtrack.error"]
