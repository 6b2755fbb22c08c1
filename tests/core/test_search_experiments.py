"""TrackingClient.search_experiments: view types, filters on name and tags, order, pages."""
from __future__ import annotations

import pytest

from nbtrack import InvalidFilterError, InvalidParameterError, TrackingClient, ViewType


@pytest.fixture
def c(any_uri):
    client = TrackingClient()
    client.create_experiment("churn-a", tags={"team": "ml"})
    client.create_experiment("churn-b", tags={"team": "data"})
    client.delete_experiment(client.create_experiment("old-churn", tags={"team": "ml"}))
    return client


def _names(exps):
    return [e.name for e in exps]


def test_default_is_active_newest_update_first(c):
    assert _names(c.search_experiments()) == ["churn-b", "churn-a", "Default"]


def test_view_types(c):
    assert _names(c.search_experiments(view_type=ViewType.DELETED_ONLY)) == ["old-churn"]
    assert set(_names(c.search_experiments(view_type=ViewType.ALL))) == {"Default", "churn-a", "churn-b", "old-churn"}


@pytest.mark.parametrize(
    "filter_string, expected",
    [
        ("name LIKE 'churn%'", {"churn-a", "churn-b"}),
        ("tags.team = 'ml'", {"churn-a"}),
        ("name = 'Default'", {"Default"}),
        ("tags.team = 'ml' OR tags.team = 'data'", {"churn-a", "churn-b"}),
    ],
)
def test_filters(c, filter_string, expected):
    assert set(_names(c.search_experiments(filter_string=filter_string))) == expected


def test_order_and_pages(c):
    first = c.search_experiments(order_by=["name ASC"], max_results=2)
    assert _names(first) == ["Default", "churn-a"]
    second = c.search_experiments(order_by=["name ASC"], max_results=2, page_token=first.token)
    assert _names(second) == ["churn-b"] and second.token is None
    with pytest.raises(InvalidParameterError, match="different search"):
        c.search_experiments(order_by=["name DESC"], max_results=2, page_token=first.token)


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"filter_string": "name ~ 'x'"}, InvalidFilterError),
        ({"filter_string": 3}, InvalidFilterError),
        ({"order_by": ["nope DESC"]}, InvalidFilterError),
        ({"max_results": 0}, InvalidParameterError),
        ({"view_type": "all"}, InvalidParameterError),
        ({"page_token": "%%%"}, InvalidParameterError),
    ],
)
def test_bad_inputs(c, kwargs, error):
    with pytest.raises(error):
        c.search_experiments(**kwargs)
