"""One resolver for run references: full id, unique id prefix (6+ characters), exact run name."""
from __future__ import annotations

import pytest

from nbtrack._run_ids import resolve_run_id
from nbtrack.errors import AmbiguousRunIdError, InvalidParameterError, RunNotFoundError


@pytest.fixture
def runs(client):
    """Two experiments with a run name in both, plus runs whose ids share a 6-char prefix."""
    made = {}
    for exp_name in ("a", "b"):
        exp = client.create_experiment(exp_name)
        made[exp_name] = exp
        made[(exp_name, "twin")] = client.create_run(exp, run_name="twin").info.run_id
    made["solo"] = client.create_run(made["a"], run_name="it's solo").info.run_id
    return made


def test_full_id_prefix_and_name_all_resolve(client, runs):
    run_id = runs["solo"]
    assert resolve_run_id(client, run_id) == run_id
    assert resolve_run_id(client, run_id[:6]) == run_id
    assert resolve_run_id(client, run_id[:6].upper()) == run_id
    assert resolve_run_id(client, "it's solo") == run_id


def test_a_name_in_two_experiments_is_ambiguous_unless_scoped(client, runs):
    with pytest.raises(AmbiguousRunIdError) as error:
        resolve_run_id(client, "twin")
    message = str(error.value)
    assert "matches 2 runs" in message
    assert runs[("a", "twin")] in message and runs[("b", "twin")] in message
    assert resolve_run_id(client, "twin", [runs["b"]]) == runs[("b", "twin")]


def test_short_or_unknown_references_are_refused(client, runs):
    with pytest.raises(RunNotFoundError, match=r"6\+ characters"):
        resolve_run_id(client, runs["solo"][:5])
    with pytest.raises(RunNotFoundError, match="no run matches 'nope'"):
        resolve_run_id(client, "nope")
    with pytest.raises(InvalidParameterError):
        resolve_run_id(client, "  ")
