"""The pure sweep parts: line splitting, spaces, grid and random order, source, Optuna mapping."""
from __future__ import annotations

import numpy as np
import pytest

from nbtrack.errors import InvalidParameterError
from nbtrack.magics._sweep_line import split_settings
from nbtrack.sweep import (
    best_index,
    grid,
    loguniform,
    sample,
    setting_source,
    setting_values,
    space_of,
    uniform,
)


def test_split_settings_keeps_python_and_leaves_options():
    settings, rest = split_settings(
        "name lr=[0.1, 0.01] opt=['adam', 'sgd'] -t k=v depth=range(2, 6) --metric 'val loss'")
    assert settings == {"lr": "[0.1, 0.01]", "opt": "['adam', 'sgd']", "depth": "range(2, 6)"}
    assert rest == "name -t k=v --metric 'val loss'"


def test_split_settings_does_not_take_comparisons():
    settings, rest = split_settings("flag=x==1")
    assert settings == {"flag": "x==1"} and rest == ""


@pytest.mark.parametrize("value, kind, size", [
    ([0.1, 0.01], "categorical", 2),
    (range(2, 6), "integer", 4),
    (np.linspace(0, 1, 5), "ordinal", 5),
    (np.array(["a", "b"]), "categorical", 2),
    ("adam", "fixed", 1),
    (3, "fixed", 1),
    ({"a": 1}, "fixed", 1),
])
def test_space_kinds(value, kind, size):
    space = space_of("v", "expr", value)
    assert (space.kind, space.size, space.finite) == (kind, size, True)


def test_continuous_spaces_and_bad_values():
    assert space_of("lr", "e", loguniform(1e-4, 1e-1)).kind == "continuous"
    with pytest.raises(InvalidParameterError):
        loguniform(0, 1)
    with pytest.raises(InvalidParameterError):
        uniform(2, 1)
    with pytest.raises(InvalidParameterError):
        space_of("x", "[]", [])
    with pytest.raises(InvalidParameterError):
        list(grid([space_of("lr", "e", uniform(0, 1))]))


def test_grid_varies_the_last_variable_fastest():
    spaces = [space_of("a", "[1, 2]", [1, 2]), space_of("b", "'xy'", ["x", "y"])]
    assert [setting_values(spaces, c) for c in grid(spaces)] == [
        {"a": 1, "b": "x"}, {"a": 1, "b": "y"}, {"a": 2, "b": "x"}, {"a": 2, "b": "y"}]


def test_sample_is_seeded_distinct_and_mixes_continuous():
    spaces = [space_of("a", "range(10)", range(10)), space_of("b", "range(10)", range(10))]
    first = sample(spaces, 20, seed=7)
    assert first == sample(spaces, 20, seed=7) and first != sample(spaces, 20, seed=8)
    assert len({tuple(c.values()) for c in first}) == 20
    mixed = sample([spaces[0], space_of("lr", "e", loguniform(1e-4, 1e-1))], 50, seed=1)
    assert all(1e-4 <= c["lr"] <= 1e-1 for c in mixed)


def test_setting_source_is_a_literal_or_an_index_into_the_expression():
    class Model:
        pass

    spaces = [space_of("lr", "np.linspace(0, 1, 3)", np.linspace(0, 1, 3)),
              space_of("model", "[Model]", [Model])]
    assert setting_source(spaces, {"lr": 1, "model": 0}) == {"lr": "0.5", "model": "([Model])[0]"}


def test_best_index_skips_missing_and_nan():
    assert best_index([None, 3.0, float("nan"), 1.0], "minimize") == 3
    assert best_index([None, 3.0, 1.0], "maximize") == 1
    assert best_index([None], "maximize") is None


def test_optuna_distributions_and_back():
    optuna = pytest.importorskip("optuna")
    from nbtrack.sweep.optuna import coords_of, distributions

    spaces = [space_of("d", "range(2, 8, 2)", range(2, 8, 2)), space_of("o", "['a', 'b']", ["a", "b"]),
              space_of("lr", "e", loguniform(1e-3, 1e-1)), space_of("f", "5", 5),
              space_of("x", "np.logspace(-3, 0, 4)", np.logspace(-3, 0, 4))]
    dists = distributions(spaces)
    assert dists["d"] == optuna.distributions.IntDistribution(2, 6, step=2)
    assert dists["lr"] == optuna.distributions.FloatDistribution(1e-3, 1e-1, log=True)
    assert dists["o"] == optuna.distributions.CategoricalDistribution([0, 1])
    assert dists["x"] == optuna.distributions.IntDistribution(0, 3) and "f" not in dists
    coords = coords_of(spaces, {"d": 4, "o": 1, "lr": 0.01, "x": 2})
    assert setting_values(spaces, coords) == {"d": 4, "o": "b", "lr": 0.01, "f": 5, "x": pytest.approx(0.1)}
