"""JSON encoding of entities: strict JSON, non-finite floats as strings."""
from __future__ import annotations

import json
import math

import pytest

from nbtrack.entities import Metric, ModelVersion, Run, RunData, RunInfo
from nbtrack.server.serialize import dumps, to_jsonable


@pytest.mark.parametrize(
    "value, expected",
    [(math.nan, "NaN"), (math.inf, "Infinity"), (-math.inf, "-Infinity"), (0.5, 0.5), (3, 3)],
)
def test_floats(value, expected):
    assert to_jsonable(value) == expected
    assert json.loads(dumps({"v": value}))["v"] == expected


def test_nested_entities_become_plain_dicts():
    info = RunInfo("r1", "name", "0", "FINISHED", 1, 2, "active", "/tmp/a")
    run = Run(info, RunData({"p": "1"}, {"m": math.nan, "ok": 1.5}, {"t": "x"}))
    out = json.loads(dumps([run]))
    assert out[0]["info"]["run_id"] == "r1" and out[0]["info"]["end_time"] == 2
    assert out[0]["data"]["metrics"] == {"m": "NaN", "ok": 1.5}


def test_tuples_and_bools():
    mv = ModelVersion("m", 1, 1, 2, aliases=("a", "b"))
    assert to_jsonable(mv)["aliases"] == ["a", "b"]
    assert to_jsonable(True) is True and to_jsonable(None) is None


def test_dumps_never_emits_bare_nan():
    text = dumps([Metric("k", math.nan, 1, 0), {"x": -math.inf}])
    json.loads(text, parse_constant=lambda c: pytest.fail(f"bare {c}"))
    assert "NaN" in text and "-Infinity" in text


def test_unknown_objects_are_stringified():
    class Thing:
        def __str__(self) -> str:
            return "thing!"

    assert to_jsonable({"x": Thing()}) == {"x": "thing!"}
