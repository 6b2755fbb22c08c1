"""search_registered_models / search_model_versions: filters, ordering, pages, bad input."""
from __future__ import annotations

import pytest

from nbtrack.errors import InvalidFilterError, InvalidParameterError


@pytest.fixture
def populated(client, run_id, iris_model):
    client.log_model(run_id, iris_model, "a", registered_model_name="iris_classifier")
    client.log_model(run_id, iris_model, "b", registered_model_name="iris_classifier")
    client.log_model(run_id, iris_model, "c", registered_model_name="Iris_regressor")
    client.create_registered_model("wine", tags={"team": "vision"})
    client.set_registered_model_tag("iris_classifier", "team", "ml")
    client.transition_model_version_stage("iris_classifier", 2, "Production")
    return client


@pytest.mark.parametrize(
    "filter_string, names",
    [
        (None, ["Iris_regressor", "iris_classifier", "wine"]),
        ("", ["Iris_regressor", "iris_classifier", "wine"]),
        ("name = 'wine'", ["wine"]),
        ("name != 'wine'", ["Iris_regressor", "iris_classifier"]),
        ("name LIKE 'iris%'", ["iris_classifier"]),
        ("name ILIKE 'iris%'", ["Iris_regressor", "iris_classifier"]),
        ("name LIKE '%_classifier'", ["iris_classifier"]),
        ("name IN ('wine', 'iris_classifier')", ["iris_classifier", "wine"]),
        ("name NOT IN ('wine')", ["Iris_regressor", "iris_classifier"]),
        ("tags.team = 'ml'", ["iris_classifier"]),
        ("tags.`team` != 'ml'", ["wine"]),  # a missing tag never matches, as for runs
        ("tag.team = 'ml'", ["iris_classifier"]),
        ("`tags`.team = 'vision'", ["wine"]),
        ("`tag`.`team` = 'vision'", ["wine"]),
        ("tags.team IS NULL", ["Iris_regressor"]),
        ("name = 'wine' OR tags.team = 'ml'", ["iris_classifier", "wine"]),
        ("(name LIKE 'iris%' OR name = 'wine') AND tags.team != 'ml'", ["wine"]),
        ("name ILIKE '%REG%' or (tags.team = 'vision' and name = 'wine')", ["Iris_regressor", "wine"]),
        ("name ILIKE 'IRIS%' and tags.team = 'ml'", ["iris_classifier"]),
        ('name = "wine"', ["wine"]),
    ],
)
def test_search_registered_models_filters(populated, filter_string, names):
    assert [m.name for m in populated.search_registered_models(filter_string)] == names


def test_search_registered_models_order_and_pages(populated):
    found = populated.search_registered_models(order_by=["name DESC"])
    assert [m.name for m in found] == ["wine", "iris_classifier", "Iris_regressor"]
    first = populated.search_registered_models(max_results=2)
    assert len(first) == 2 and first.token
    rest = populated.search_registered_models(max_results=2, page_token=first.token)
    assert [m.name for m in rest] == ["wine"] and rest.token is None
    with pytest.raises(InvalidParameterError, match="different search"):
        populated.search_registered_models("name = 'wine'", max_results=2, page_token=first.token)
    latest = {m.name: [v.version for v in m.latest_versions] for m in found}
    assert latest == {"wine": [], "iris_classifier": [1, 2], "Iris_regressor": [1]}


@pytest.mark.parametrize(
    "filter_string, expected",
    [
        ("name = 'iris_classifier'", [("iris_classifier", 2), ("iris_classifier", 1)]),
        ("version_number >= 2", [("iris_classifier", 2)]),
        ("current_stage = 'Production'", [("iris_classifier", 2)]),
        ("name ILIKE 'iris%' AND version_number = 1", [("Iris_regressor", 1), ("iris_classifier", 1)]),
        ("status = 'READY' AND name = 'Iris_regressor'", [("Iris_regressor", 1)]),
        ("version_number = 2 OR name = 'Iris_regressor'", [("Iris_regressor", 1), ("iris_classifier", 2)]),
        ("(current_stage = 'Production' OR version_number = 1) AND name LIKE 'iris%'",
         [("iris_classifier", 2), ("iris_classifier", 1)]),
        ("tags.nope != 'x'", []),
    ],
)
def test_search_model_versions_filters(populated, filter_string, expected):
    # by name, then newest version (the default order is MLflow's: last updated first)
    found = populated.search_model_versions(filter_string, order_by=["name", "version_number DESC"])
    assert [(v.name, v.version) for v in found] == expected


def test_search_model_versions_by_run_and_order(populated, run_id):
    found = populated.search_model_versions(f"run_id = '{run_id}'", order_by=["version_number ASC", "name"])
    assert [(v.name, v.version) for v in found] == [("Iris_regressor", 1), ("iris_classifier", 1), ("iris_classifier", 2)]
    assert populated.search_model_versions("run_id = 'nope'") == []
    assert populated.search_model_versions(f"run_id IN ('x', '{run_id}')", max_results=1)[0].run_id == run_id


@pytest.mark.parametrize(
    "filter_string, position",
    [
        ("nam = 'x'", 0),
        ("name = x", 7),
        ("name == 'x'", 6),
        ("name = 'x' OR", 13),
        ("(name = 'x'", 11),
        ("`nope`.x = 'y'", 0),
        ("metrics.acc > 1", 0),
        ("name LIKE", 9),
        ("name IN 'x'", 8),
        ("name IN ('x'", 12),
        ("name = 'x' AND", 14),
        ("name ~ 'x'", 5),
        ("name = 'unterminated", 7),
    ],
)
def test_bad_model_filters_say_where(populated, filter_string, position):
    with pytest.raises(InvalidFilterError) as info:
        populated.search_registered_models(filter_string)
    assert info.value.position == position


@pytest.mark.parametrize("filter_string", ["version_number = '2'", "version_number LIKE '1%'", "run_id < 'x'"])
def test_bad_version_filters(populated, filter_string):
    with pytest.raises(InvalidFilterError):
        populated.search_model_versions(filter_string)


@pytest.mark.parametrize(
    "order_by, expected",
    [(["size"], "an attribute name"), (["name UP"], "ASC, DESC"), (["name ASC extra"], "end of clause"),
     ([""], "registered model field"), ("name", "a list of order_by strings")],
)
def test_bad_order_by(populated, order_by, expected):
    with pytest.raises(InvalidFilterError, match=expected):
        populated.search_registered_models(order_by=order_by)


@pytest.mark.parametrize("bad", [0, -1, "10", 50001, True])
def test_bad_max_results(populated, bad):
    with pytest.raises(InvalidParameterError, match="max_results"):
        populated.search_registered_models(max_results=bad)


def test_filter_must_be_a_string(populated):
    with pytest.raises(InvalidFilterError, match="a filter string"):
        populated.search_model_versions(42)
