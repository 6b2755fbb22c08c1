"""Whatever a caller passes, only NbtrackError subclasses escape the public verbs."""
from __future__ import annotations

import tempfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nbtrack
from nbtrack.entities import Metric, Param, RunTag
from nbtrack.errors import NbtrackError

_STORE = tempfile.mkdtemp(prefix="nbtrack-fuzz-")

names = st.one_of(
    st.text(max_size=300),
    st.sampled_from(["loss", "loss\n", "a/../b", "/abs", "\ud800", "x" * 260, "a" * 300 + ".txt", "", " "]),
    st.integers(), st.none(), st.lists(st.text(max_size=3), max_size=2), st.binary(max_size=5),
)
numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True), st.integers(min_value=-(10**500), max_value=10**500),
    st.booleans(), st.none(), st.text(max_size=5), st.complex_numbers(), st.lists(st.floats(), max_size=2),
)
steps = st.one_of(st.none(), st.integers(min_value=-(2**70), max_value=2**70), st.floats(), st.text(max_size=3))
nested = st.recursive(
    st.one_of(st.none(), st.booleans(), st.floats(), st.integers(), st.text(max_size=20)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)),
    max_leaves=30,
)
values = st.one_of(nested, numbers, names, st.just(_deep := [[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]))
filters = st.one_of(
    st.text(max_size=80),
    st.sampled_from(["metrics.m > 1", "params.a LIKE '%a%a%b'", "attributes.status = 'X", "tags.`x` = '\ud800'",
                     "(" * 500, "metrics.m > 1e999", "params.a = " + "'x' AND params.a = " * 100 + "'x'"]),
    st.none(), st.integers(),
)


def _deep_value(depth: int = 100_000):
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


@pytest.fixture(scope="module")
def run():
    nbtrack.set_tracking_uri(_STORE)
    client = nbtrack.TrackingClient(_STORE)
    return client, client.create_run("0").info.run_id


def _only_ours(call, *args, **kwargs):
    try:
        call(*args, **kwargs)
    except NbtrackError:
        pass


FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(key=names, value=numbers, step=steps, timestamp=steps)
def test_log_metric(run, key, value, step, timestamp):
    client, run_id = run
    _only_ours(client.log_metric, run_id, key, value, timestamp=timestamp, step=step)
    _only_ours(client.log_batch, run_id, metrics=[Metric(key, value, timestamp, step)])
    _only_ours(client.flush)


@FUZZ
@given(key=names, value=values)
def test_log_param_and_set_tag(run, key, value):
    client, run_id = run
    _only_ours(client.log_param, run_id, key, value)
    _only_ours(client.set_tag, run_id, key, value)
    _only_ours(client.log_batch, run_id, params=[Param(key, value)], tags=[RunTag(key, value)])
    _only_ours(client.set_experiment_tag, "0", key, value)
    _only_ours(client.delete_tag, run_id, key)


@FUZZ
@given(path=names, value=values)
def test_log_artifacts(run, path, value):
    client, run_id = run
    _only_ours(client.log_text, run_id, value, path)
    _only_ours(client.log_dict, run_id, value, path)
    _only_ours(client.log_dict, run_id, value, "deep.json")
    _only_ours(client.list_artifacts, run_id, path)


def test_deep_values_and_tokens(run):
    client, run_id = run
    deep = _deep_value()
    _only_ours(client.log_dict, run_id, deep, "deep.json")
    _only_ours(client.log_dict, run_id, deep, "deep.yaml")
    _only_ours(client.log_param, run_id, "deep", deep)
    import base64

    token = base64.urlsafe_b64encode(b"[" * 100_000 + b"]" * 100_000).decode()
    _only_ours(client.search_runs, ["0"], page_token=token)
    _only_ours(client.search_experiments, page_token=token)


@FUZZ
@given(filter_string=filters, order=st.one_of(st.none(), st.lists(names, max_size=2)), max_results=steps, token=names)
def test_search(run, filter_string, order, max_results, token):
    client, _ = run
    _only_ours(client.search_runs, ["0"], filter_string=filter_string, order_by=order, max_results=max_results or 10)
    _only_ours(client.search_runs, ["0"], page_token=token)
    _only_ours(client.search_experiments, filter_string=filter_string, order_by=order)
    _only_ours(client.search_registered_models, filter_string=filter_string)
    _only_ours(client.search_model_versions, filter_string=filter_string)


@FUZZ
@given(name=names, tags=st.one_of(st.none(), st.dictionaries(names.filter(lambda n: isinstance(n, str)), values, max_size=2)))
def test_create_and_set_verbs(run, name, tags):
    client, run_id = run
    _only_ours(client.create_experiment, name, tags=tags)
    _only_ours(client.create_run, "0", run_name=name, tags=tags)
    _only_ours(client.set_terminated, name)
    _only_ours(client.get_metric_history, run_id, name)
    _only_ours(client.create_registered_model, name)
    _only_ours(client.set_registered_model_alias, "m", name, 1)


@FUZZ
@given(key=names, value=numbers, step=steps)
def test_fluent_verbs(run, key, value, step):
    with nbtrack.start_run():
        _only_ours(nbtrack.log_metric, key, value, step=step)
        _only_ours(nbtrack.log_metrics, {key: value} if isinstance(key, str) else key, step=step)
        _only_ours(nbtrack.log_param, key, value)
        _only_ours(nbtrack.log_params, {key: value} if isinstance(key, str) else key)
        _only_ours(nbtrack.set_tag, key, value)
        _only_ours(nbtrack.set_tags, {key: value} if isinstance(key, str) else key)
        _only_ours(nbtrack.flush)
