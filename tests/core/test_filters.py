"""Search filter and order_by semantics, checked against hand-built Run and Experiment entities."""
from __future__ import annotations

import math

import pytest

from nbtrack.entities import Experiment, Run, RunData, RunInfo
from nbtrack.errors import InvalidFilterError, InvalidParameterError
from nbtrack.search.schemas import (
    filter_experiments,
    filter_runs,
    parse_filter,
    sort_experiments,
    sort_runs,
    validate_experiment_order_by,
    validate_order_by,
)


def make_run(
    run_id: str,
    *,
    metrics: dict | None = None,
    params: dict | None = None,
    tags: dict | None = None,
    start_time: int = 1000,
    end_time: int | None = None,
    status: str = "FINISHED",
    run_name: str = "",
    user_id: str = "alice",
    lifecycle_stage: str = "active",
) -> Run:
    info = RunInfo(
        run_id=run_id,
        run_name=run_name or f"name-{run_id}",
        experiment_id="0",
        status=status,
        start_time=start_time,
        end_time=end_time,
        lifecycle_stage=lifecycle_stage,
        artifact_uri=f"/store/artifacts/0/{run_id}",
        user_id=user_id,
    )
    return Run(info, RunData(params=params or {}, metrics=metrics or {}, tags=tags or {}))


@pytest.fixture(scope="module")
def runs() -> list[Run]:
    return [
        make_run(
            "r1",
            metrics={"acc": 0.95, "loss": 0.1, "val.loss": 0.2, "my metric": 3.0, "f1-score": 0.5},
            params={"model": "rf", "lr": "0.01", "a b": "x"},
            tags={"team": "Vision", "mlflow.runName": "tagged-name", "note": "it's"},
            start_time=1000,
            end_time=2000,
            status="FINISHED",
            run_name="alpha",
            user_id="alice",
        ),
        make_run(
            "r2",
            metrics={"acc": 0.80, "loss": float("nan"), "val/loss": 0.3},
            params={"model": "svm", "lr": "0.1"},
            tags={"team": "vision-2"},
            start_time=3000,
            end_time=None,
            status="RUNNING",
            run_name="beta",
            user_id="bob",
        ),
        make_run(
            "r3",
            metrics={"acc": float("inf"), "loss": 0.3},
            params={"model": "rf"},
            tags={},
            start_time=2000,
            end_time=2500,
            status="FAILED",
            run_name="gamma.1",
            user_id="carol",
            lifecycle_stage="deleted",
        ),
        make_run("r4", start_time=1500, end_time=1600, status="KILLED", run_name="delta"),
    ]


def ids(runs: list[Run], filter_string: str | None) -> list[str]:
    return sorted(run.info.run_id for run in filter_runs(runs, filter_string))


def sorted_ids(runs: list[Run], order_by: list[str] | None) -> list[str]:
    return [run.info.run_id for run in sort_runs(runs, order_by)]


# --------------------------------------------------------------------------- empty filters


@pytest.mark.parametrize("blank", [None, "", "   ", "\n\t "])
def test_blank_filter_matches_every_run_in_given_order(runs, blank):
    assert [r.info.run_id for r in filter_runs(runs, blank)] == ["r1", "r2", "r3", "r4"]


def test_filter_runs_accepts_any_iterable_and_returns_a_list(runs):
    result = filter_runs(iter(runs), "metrics.acc > 0.9")
    assert isinstance(result, list)
    assert [r.info.run_id for r in result] == ["r1", "r3"]


# --------------------------------------------------------------------------- prefixes and names


@pytest.mark.parametrize("prefix", ["metrics", "metric", "METRICS", "Metric"])
def test_metric_prefix_aliases(runs, prefix):
    assert ids(runs, f"{prefix}.acc > 0.9") == ["r1", "r3"]


@pytest.mark.parametrize("prefix", ["params", "param", "parameter", "parameters"])
def test_param_prefix_aliases(runs, prefix):
    assert ids(runs, f"{prefix}.model = 'rf'") == ["r1", "r3"]


@pytest.mark.parametrize("prefix", ["tags", "tag"])
def test_tag_prefix_aliases(runs, prefix):
    assert ids(runs, f"{prefix}.team = 'Vision'") == ["r1"]


@pytest.mark.parametrize(
    "filter_string, expected",
    [
        ("`metrics`.acc > 0.9", ["r1", "r3"]),
        ("`metric`.`acc` > 0.9", ["r1", "r3"]),
        ('"params".model = \'rf\'', ["r1", "r3"]),
        ("`tags`.team = 'Vision'", ["r1"]),
        ("`tag`.team = 'Vision' OR `attributes`.status = 'RUNNING'", ["r1", "r2"]),
        ("(`Metrics`.acc > 0.9)", ["r1", "r3"]),
    ],
)
def test_quoted_prefixes(runs, filter_string, expected):
    assert ids(runs, filter_string) == expected


@pytest.mark.parametrize(
    "filter_string, position",
    [("`nope`.acc > 1", 0), ("`metrics`. > 1", 10), ("`metrics`.", 10), ("`metrics`.acc", 13)],
)
def test_bad_quoted_prefixes_say_where(filter_string, position):
    with pytest.raises(InvalidFilterError) as info:
        parse_filter(filter_string)
    assert info.value.position == position


@pytest.mark.parametrize("prefix", ["attributes.", "attribute.", "attr.", "run.", ""])
def test_attribute_prefix_aliases_and_unprefixed_names(runs, prefix):
    assert ids(runs, f"{prefix}status = 'RUNNING'") == ["r2"]


@pytest.mark.parametrize(
    "filter_string, expected",
    [
        ("run_id = 'r3'", ["r3"]),
        ("run_name = 'beta'", ["r2"]),
        ("status != 'FINISHED'", ["r2", "r3", "r4"]),
        ("artifact_uri LIKE '%/r4'", ["r4"]),
        ("user_id IN ('bob', 'carol')", ["r2", "r3"]),
        ("lifecycle_stage = 'deleted'", ["r3"]),
        ("start_time >= 2000", ["r2", "r3"]),
        ("end_time < 2000", ["r4"]),
        ("created > 1500", ["r2", "r3"]),
        ('attributes."run name" = \'alpha\'', ["r1"]),
        ("`Run Name` = 'delta'", ["r4"]),
        ("attributes.`start_time` = 1000", ["r1"]),
        ("START_TIME = 1000", ["r1"]),
    ],
)
def test_every_run_attribute_and_alias(runs, filter_string, expected):
    assert ids(runs, filter_string) == expected


@pytest.mark.parametrize(
    "filter_string, expected",
    [
        ("metrics.val.loss < 1", ["r1"]),
        ("metrics.`val/loss` > 0", ["r2"]),
        ("metrics.val/loss > 0", ["r2"]),
        ("metrics.f1-score = 0.5", ["r1"]),
        ('metrics."my metric" = 3', ["r1"]),
        ("metrics.`my metric` = 3", ["r1"]),
        ("params.`a b` = 'x'", ["r1"]),
        ('params."a b" = "x"', ["r1"]),
        ("tags.note = 'it''s'", ["r1"]),
        ('tags.note = "it\'s"', ["r1"]),
    ],
)
def test_quoted_and_dotted_names_and_values(runs, filter_string, expected):
    assert ids(runs, filter_string) == expected


def test_doubled_quotes_inside_quoted_names():
    run = make_run("q", metrics={"a`b": 1.0, 'c"d': 2.0})
    assert ids([run], "metrics.`a``b` = 1") == ["q"]
    assert ids([run], 'metrics."c""d" = 2') == ["q"]


def test_run_name_tag_falls_back_to_run_name(runs):
    assert ids(runs, "tags.\"mlflow.runName\" = 'beta'") == ["r2"]
    # r1 has the tag itself, which wins over its run name
    assert ids(runs, "tags.`mlflow.runName` = 'tagged-name'") == ["r1"]
    assert ids(runs, "tags.\"mlflow.runName\" = 'alpha'") == []
    assert ids(runs, "tags.\"mlflow.runName\" IS NULL") == []


# --------------------------------------------------------------------------- comparators


@pytest.mark.parametrize(
    "op, expected",
    [
        ("=", ["r2"]),
        ("!=", ["r1", "r3"]),
        ("<", []),
        ("<=", ["r2"]),
        (">", ["r1", "r3"]),
        (">=", ["r1", "r2", "r3"]),
    ],
)
def test_numeric_comparators_on_metrics(runs, op, expected):
    assert ids(runs, f"metrics.acc {op} 0.8") == expected


@pytest.mark.parametrize(
    "literal, expected",
    [("3", ["r1"]), ("3.0", ["r1"]), ("+3", ["r1"]), ("30e-1", ["r1"]), (".3e1", ["r1"])],
)
def test_numeric_literal_forms(runs, literal, expected):
    assert ids(runs, f"metrics.`my metric` = {literal}") == expected


def test_negative_literal_without_spaces(runs):
    assert ids(runs, "metrics.acc>-1") == ["r1", "r2", "r3"]


@pytest.mark.parametrize(
    "filter_string, expected",
    [
        ("params.model = 'rf'", ["r1", "r3"]),
        ("params.model != 'rf'", ["r2"]),  # r4 has no such param: excluded, not matched
        ('params.model = "svm"', ["r2"]),
        ("tags.team = 'vision'", []),  # = is case-sensitive
        ("tags.team != 'Vision'", ["r2"]),
    ],
)
def test_string_equality_on_params_and_tags(runs, filter_string, expected):
    assert ids(runs, filter_string) == expected


@pytest.mark.parametrize(
    "pattern, like, ilike",
    [
        ("Vision", ["r1"], ["r1"]),
        ("vision", [], ["r1"]),
        ("vision%", ["r2"], ["r1", "r2"]),
        ("%ISION%", [], ["r1", "r2"]),
        ("V_sion", ["r1"], ["r1"]),
        ("V_ion", [], []),
        ("%", ["r1", "r2"], ["r1", "r2"]),
        ("vision-_", ["r2"], ["r2"]),
    ],
)
def test_like_is_case_sensitive_and_ilike_is_not(runs, pattern, like, ilike):
    assert ids(runs, f"tags.team LIKE '{pattern}'") == like
    assert ids(runs, f"tags.team ILIKE '{pattern}'") == ilike


@pytest.mark.parametrize(
    "pattern, value, matches",
    [
        ("a.c", "abc", False),
        ("a.c", "a.c", True),
        ("(x)+", "(x)+", True),
        ("(x)+", "xx", False),
        ("[ab]*", "a", False),
        ("a\\d", "a\\d", True),
        ("a$", "a$", True),
        ("%line", "two\nline", True),
    ],
)
def test_like_treats_regex_characters_literally(pattern, value, matches):
    run = make_run("x", params={"p": value})
    escaped = pattern.replace("'", "''")
    assert (ids([run], f"params.p LIKE '{escaped}'") == ["x"]) is matches


@pytest.mark.parametrize(
    "filter_string, expected",
    [
        ("params.model IN ('rf')", ["r1", "r3"]),
        ("params.model IN ('rf', \"svm\")", ["r1", "r2", "r3"]),
        ("params.model NOT IN ('rf')", ["r2"]),  # missing key never matches
        ("tags.team IN ('Vision', 'vision-2')", ["r1", "r2"]),
        ("run_id IN ('r1','r4')", ["r1", "r4"]),
        ("status NOT IN ('FINISHED', 'RUNNING')", ["r3", "r4"]),
        ("params.model not in ('x')", ["r1", "r2", "r3"]),
    ],
)
def test_in_and_not_in(runs, filter_string, expected):
    assert ids(runs, filter_string) == expected


@pytest.mark.parametrize(
    "filter_string, expected",
    [
        ("metrics.acc IS NULL", ["r4"]),
        ("metrics.acc IS NOT NULL", ["r1", "r2", "r3"]),
        ("metrics.loss IS NOT NULL", ["r1", "r2", "r3"]),  # NaN is a value, not null
        ("params.lr IS NULL", ["r3", "r4"]),
        ("tags.team is not null", ["r1", "r2"]),
        ("end_time IS NULL", ["r2"]),
        ("attributes.end_time IS NOT NULL", ["r1", "r3", "r4"]),
    ],
)
def test_is_null_and_is_not_null(runs, filter_string, expected):
    assert ids(runs, filter_string) == expected


@pytest.mark.parametrize("op", ["=", "!=", "<", "<=", ">", ">="])
def test_nan_never_satisfies_a_comparison(op):
    run = make_run("n", metrics={"loss": math.nan})
    assert ids([run], f"metrics.loss {op} 0.5") == []


@pytest.mark.parametrize("op", ["=", "!=", "<", "<=", ">", ">="])
def test_missing_metric_never_satisfies_a_comparison(op):
    run = make_run("m", metrics={"other": 1.0})
    assert ids([run], f"metrics.loss {op} 0.5") == []


def test_infinite_metric_values_compare_as_numbers(runs):
    assert ids(runs, "metrics.acc > 1e300") == ["r3"]
    assert ids(runs, "metrics.acc = 1e999") == ["r3"]  # the literal overflows to inf
    run = make_run("ninf", metrics={"x": -math.inf})
    assert ids([run], "metrics.x < -1e300") == ["ninf"]


def test_end_time_of_a_running_run_never_compares(runs):
    assert ids(runs, "end_time > 0") == ["r1", "r3", "r4"]
    assert ids(runs, "end_time != 0") == ["r1", "r3", "r4"]


# --------------------------------------------------------------------------- AND, OR, parentheses


def test_and_binds_tighter_than_or(runs):
    # r4 OR (r2 AND acc > 0.9): r2 has acc 0.8, so only r4
    text = "run_id = 'r4' OR run_id = 'r2' AND metrics.acc > 0.9"
    assert ids(runs, text) == ["r4"]
    assert ids(runs, "(run_id = 'r4' OR run_id = 'r2') AND metrics.acc > 0.5") == ["r2"]


def test_or_takes_union_and_and_takes_intersection(runs):
    assert ids(runs, "params.model = 'svm' OR status = 'KILLED'") == ["r2", "r4"]
    assert ids(runs, "params.model = 'rf' AND status = 'FAILED'") == ["r3"]


def test_nested_parentheses(runs):
    text = "((metrics.acc > 0.9 AND (params.model = 'rf')) OR (((status = 'KILLED'))))"
    assert ids(runs, text) == ["r1", "r3", "r4"]


def test_ast_shape_follows_precedence():
    expr = parse_filter("metrics.a > 1 OR metrics.b > 2 AND metrics.c > 3")
    assert type(expr).__name__ == "Or"
    assert [type(term).__name__ for term in expr.terms] == ["Comparison", "And"]
    assert [term.field.key for term in expr.terms[1].terms] == ["b", "c"]


def test_many_clauses_in_a_row_do_not_recurse():
    text = " AND ".join(f"metrics.m{i} >= 0" for i in range(2000))
    run = make_run("big", metrics={f"m{i}": 1.0 for i in range(2000)})
    assert ids([run], text) == ["big"]
    assert ids([run], text.replace("AND", "OR").replace(">= 0", "< 0")) == []


@pytest.mark.parametrize(
    "text",
    [
        "metrics.acc > 0.9 and params.model = 'rf'",
        "metrics.acc > 0.9 And params.model = 'rf'",
        "metrics.acc > 0.9 AND params.model like 'r%'",
        "metrics.acc > 0.9 AND params.model iLiKe 'R%'",
        "metrics.acc > 0.9 AND params.model In ('rf')",
        "metrics.acc > 0.9 AND params.model nOt In ('svm')",
        "metrics.acc > 0.9 AND params.model Is NoT nUlL",
        "metrics.acc > 0.9 AND (params.model = 'rf' oR params.model = 'rf')",
    ],
)
def test_keywords_are_case_insensitive(runs, text):
    assert ids(runs, text) == ["r1", "r3"]


def test_whitespace_is_optional_around_symbols(runs):
    assert ids(runs, "metrics.acc>0.9AND(params.model='rf')") == ["r1", "r3"]
    assert ids(runs, "params.model IN('rf','svm')") == ["r1", "r2", "r3"]


def test_parsed_filters_are_cached():
    assert parse_filter("metrics.acc > 0.5") is parse_filter("metrics.acc > 0.5")


def test_parsed_filter_matches_directly(runs):
    expr = parse_filter("metrics.acc > 0.9")
    assert [expr.matches(run) for run in runs] == [True, False, True, False]
    assert all(parse_filter("").matches(run) for run in runs)


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "text, position, expected, found",
    [
        ("params.lr = 0.01", 12, "a quoted string for param 'lr'", "0.01"),
        ("metrics.acc > '0.9'", 14, "a number for metric 'acc'", "'0.9'"),
        ("metrics.acc LIKE '%'", 12, "a numeric comparator", "LIKE"),
        ("metrics.acc IN ('1')", 12, "a numeric comparator", "IN"),
        ("params.model > 'a'", 13, "a string comparator", ">"),
        ("start_time LIKE '1%'", 11, "a numeric comparator", "LIKE"),
        ("status < 'Z'", 7, "a string comparator", "<"),
        ("status = 5", 9, "a quoted string for attribute 'status'", "5"),
        ("foo.bar = 'x'", 0, "one of metrics., params., tags., attributes.", "foo."),
        ("nope = 'x'", 0, "an attribute name (one of run_id, run_name", "nope"),
        ("attributes.nope = 'x'", 11, "an attribute name", "nope"),
        ("metrics > 1", 7, "'.' and a key name after 'metrics'", None),
        ("metrics. `a` > 1", 8, "a key name after 'metrics.'", None),
        ("metrics.`` > 1", 8, "a non-empty key name", ""),
        ("metrics.acc", 11, "a comparator (=, !=, <, <=, >, >=, LIKE, ILIKE, IN, IS)", None),
        ("metrics.acc == 1", 13, "a number for metric 'acc'", "="),
        ("metrics.acc <> 1", 13, "a number for metric 'acc'", ">"),
        ("metrics.acc 1", 12, "a comparator", "1"),
        ("metrics.acc > ", 14, "a number for metric 'acc'", None),
        ("metrics.acc > 1 metrics.b > 2", 16, "AND, OR or end of filter", "metrics.b"),
        ("metrics.acc > 1 AND", 19, "a name such as metrics.<key>", None),
        ("metrics.acc > 1 OR OR x", 19, "a name such as metrics.<key>", "OR"),
        ("(metrics.acc > 1", 16, "AND, OR or ')'", None),
        ("metrics.acc > 1)", 15, "AND, OR or end of filter", ")"),
        ("()", 1, "a name such as", ")"),
        ("'status' = 'x'", 0, "a name such as", "'status'"),
        ("tags.a = 'x", 9, "a closing '", "'"),
        ('tags.a = "x', 9, 'a closing "', '"'),
        ("tags.`a = 'x'", 5, "a closing `", "`"),
        ("tags.a = `x`", 9, "a quoted string for tag 'a'", "`x`"),
        ("tags.a NOT LIKE 'x'", 11, "IN after NOT", "LIKE"),
        ("tags.a IN 'x'", 10, "'(' to start the IN list", "'x'"),
        ("tags.a IN ()", 11, "a quoted string for tag 'a'", ")"),
        ("tags.a IN ('x',)", 15, "a quoted string for tag 'a'", ")"),
        ("tags.a IN ('x' 'y')", 15, "',' or ')'", "'y'"),
        ("tags.a IN ('x', 1)", 16, "a quoted string for tag 'a' (tag values are strings", "1"),
        ("tags.a IS 'x'", 10, "NULL or NOT NULL", "'x'"),
        ("tags.a IS NOT 'x'", 14, "NULL after IS NOT", "'x'"),
        ("run_id IS NULL", 7, "for attribute 'run_id', which is never null", "IS"),
        ("start_time IS NULL", 11, "which is never null", "IS"),
        ("metrics.a > 1 ; DROP", 14, "a name, number, quoted string", ";"),
        ("metrics.a ! 1", 10, "a name, number, quoted string", "!"),
        ("NOT metrics.a > 1", 0, "a name such as", "NOT"),
    ],
)
def test_error_positions_and_expectations(text, position, expected, found):
    with pytest.raises(InvalidFilterError) as info:
        parse_filter(text)
    error = info.value
    assert error.text == text
    assert error.position == position
    assert expected in error.expected
    assert error.found == found
    assert f"position {position}" in str(error)


def test_numeric_param_error_message_says_to_quote():
    with pytest.raises(InvalidFilterError, match=r"quote it: '0\.01'"):
        filter_runs([], "params.lr = 0.01")


def test_parenthesis_nesting_is_bounded():
    deep = "(" * 64 + "metrics.a > 1" + ")" * 64
    assert parse_filter(deep).field.key == "a"
    with pytest.raises(InvalidFilterError) as info:
        parse_filter("(" * 65 + "metrics.a > 1" + ")" * 65)
    assert info.value.position == 64
    assert "nest at most 64" in info.value.expected


@pytest.mark.parametrize("bad", [5, 1.5, b"metrics.a > 1", ["metrics.a > 1"], object()])
def test_non_string_filter_is_an_invalid_filter_error(runs, bad):
    with pytest.raises(InvalidFilterError) as info:
        filter_runs(runs, bad)
    assert info.value.position == 0
    assert info.value.found == type(bad).__name__
    with pytest.raises(InvalidFilterError):
        parse_filter(bad)


def test_invalid_filter_error_is_catchable_as_value_error():
    with pytest.raises(ValueError):
        parse_filter("metrics.a >")
    with pytest.raises(InvalidParameterError):
        parse_filter("metrics.a >")


# --------------------------------------------------------------------------- order_by


def order_runs() -> list[Run]:
    return [
        make_run("a", metrics={"acc": 0.5}, params={"p": "x"}, start_time=10),
        make_run("b", metrics={"acc": 0.9}, params={"p": "y"}, start_time=20),
        make_run("c", metrics={"acc": float("nan")}, start_time=30),
        make_run("d", params={"p": "x"}, start_time=40),
        make_run("e", metrics={"acc": 0.5}, params={"p": "y"}, start_time=50),
        make_run("f", metrics={"acc": 0.5}, params={"p": "y"}, start_time=50),
    ]


def test_default_order_is_start_time_desc_then_run_id():
    assert sorted_ids(order_runs(), None) == ["e", "f", "d", "c", "b", "a"]
    assert sorted_ids(order_runs(), []) == ["e", "f", "d", "c", "b", "a"]


@pytest.mark.parametrize(
    "order_by, expected",
    [
        (["metrics.acc"], ["e", "f", "a", "b", "c", "d"]),
        (["metrics.acc ASC"], ["e", "f", "a", "b", "c", "d"]),
        (["metrics.acc asc"], ["e", "f", "a", "b", "c", "d"]),
        (["metrics.acc DESC"], ["b", "e", "f", "a", "c", "d"]),
        (["metrics.acc desc"], ["b", "e", "f", "a", "c", "d"]),
    ],
)
def test_missing_values_last_both_ways_and_nan_just_before_them(order_by, expected):
    assert sorted_ids(order_runs(), order_by) == expected


def test_several_keys():
    runs = order_runs()
    assert sorted_ids(runs, ["params.p DESC", "metrics.acc DESC"]) == ["b", "e", "f", "a", "d", "c"]
    assert sorted_ids(runs, ["params.p", "start_time"]) == ["a", "d", "b", "e", "f", "c"]


def test_ties_broken_by_start_time_desc_then_run_id():
    runs = order_runs()
    assert sorted_ids(runs, ["params.p ASC"]) == ["d", "a", "e", "f", "b", "c"]
    shuffled = list(reversed(runs))
    assert sorted_ids(shuffled, ["params.p ASC"]) == ["d", "a", "e", "f", "b", "c"]


@pytest.mark.parametrize(
    "order_by, expected",
    [
        (["start_time"], ["a", "b", "c", "d", "e", "f"]),
        (["attributes.start_time DESC"], ["e", "f", "d", "c", "b", "a"]),
        (["run_id DESC"], ["f", "e", "d", "c", "b", "a"]),
        (["`run_name`"], ["a", "b", "c", "d", "e", "f"]),
        (["created DESC"], ["e", "f", "d", "c", "b", "a"]),
    ],
)
def test_order_by_attributes(order_by, expected):
    assert sorted_ids(order_runs(), order_by) == expected


def test_order_by_end_time_puts_running_runs_last():
    runs = [
        make_run("x", end_time=None, start_time=1),
        make_run("y", end_time=5, start_time=2),
        make_run("z", end_time=9, start_time=3),
    ]
    assert sorted_ids(runs, ["end_time DESC"]) == ["z", "y", "x"]
    assert sorted_ids(runs, ["end_time"]) == ["y", "z", "x"]


def test_order_by_quoted_metric_names():
    runs = [make_run("x", metrics={"my m": 2.0}), make_run("y", metrics={"my m": 1.0})]
    assert sorted_ids(runs, ['metrics."my m"']) == ["y", "x"]
    assert sorted_ids(runs, ["metrics.`my m` DESC"]) == ["x", "y"]


def test_sort_accepts_a_tuple_and_any_iterable():
    assert sorted_ids(iter(order_runs()), ("metrics.acc DESC",))[0] == "b"


@pytest.mark.parametrize(
    "order_by, position, expected, found",
    [
        (["metrics.acc UP"], 12, "ASC, DESC or end of clause", "UP"),
        (["metrics.acc DESC DESC"], 17, "end of clause", "DESC"),
        (["metrics.acc DESC, start_time"], 16, "end of clause", ","),
        ([""], 0, "a name such as", None),
        (["   "], 3, "a name such as", None),
        (["nope"], 0, "an attribute name", "nope"),
        (["foo.x"], 0, "one of metrics., params., tags., attributes.", "foo."),
        (["metrics."], 8, "a key name after 'metrics.'", None),
        (["metrics.acc > 1"], 12, "ASC, DESC or end of clause", ">"),
    ],
)
def test_bad_order_by_clauses(order_by, position, expected, found):
    with pytest.raises(InvalidFilterError) as info:
        validate_order_by(order_by)
    assert info.value.position == position
    assert expected in info.value.expected
    assert info.value.found == found
    with pytest.raises(InvalidFilterError):
        sort_runs(order_runs(), order_by)


@pytest.mark.parametrize("bad", ["metrics.acc DESC", b"x", {"metrics.acc": "DESC"}, 3])
def test_order_by_must_be_a_list(bad):
    with pytest.raises(InvalidFilterError) as info:
        validate_order_by(bad)
    assert info.value.position == 0
    assert "a list of order_by strings" in info.value.expected
    assert info.value.found == type(bad).__name__


@pytest.mark.parametrize("bad", [None, 3, ("metrics.acc",)])
def test_order_by_items_must_be_strings(bad):
    with pytest.raises(InvalidFilterError) as info:
        validate_order_by(["start_time", bad])
    assert info.value.expected == "an order_by string"


def test_valid_order_by_passes_validation():
    assert validate_order_by(None) is None
    assert validate_order_by(["metrics.acc DESC", "params.p", "tags.`a b` asc", "end_time"]) is None


# --------------------------------------------------------------------------- experiments


@pytest.fixture(scope="module")
def experiments() -> list[Experiment]:
    return [
        Experiment("0", "Default", "/a/0", tags={}, creation_time=1, last_update_time=5),
        Experiment("9", "vision-resnet", "/a/9", tags={"team": "cv"}, creation_time=2,
                   last_update_time=30),
        Experiment("10", "Vision-vit", "/a/10", tags={"team": "cv", "prio": "high"},
                   creation_time=3, last_update_time=30),
        Experiment("11", "nlp-bert", "/a/11", lifecycle_stage="deleted", tags={"team": "nlp"},
                   creation_time=4, last_update_time=None),
    ]


def exp_ids(experiments, filter_string):
    return [e.experiment_id for e in filter_experiments(experiments, filter_string)]


@pytest.mark.parametrize(
    "filter_string, expected",
    [
        ("", ["0", "9", "10", "11"]),
        (None, ["0", "9", "10", "11"]),
        ("name = 'Default'", ["0"]),
        ("name LIKE 'vision%'", ["9"]),
        ("name ILIKE 'vision%'", ["9", "10"]),
        ("attributes.name != 'Default'", ["9", "10", "11"]),
        ("tags.team = 'cv'", ["9", "10"]),
        ("tag.prio IS NULL", ["0", "9", "11"]),
        ("tags.team = 'cv' AND tags.prio = 'high'", ["10"]),
        ("tags.team = 'nlp' OR name = 'Default'", ["0", "11"]),
        ("creation_time >= 3", ["10", "11"]),
        ("last_update_time > 10", ["9", "10"]),
        ("last_update_time IS NULL", ["11"]),
        ("lifecycle_stage = 'deleted'", ["11"]),
        ("experiment_id IN ('0', '10')", ["0", "10"]),
    ],
)
def test_filter_experiments(experiments, filter_string, expected):
    assert exp_ids(experiments, filter_string) == expected


@pytest.mark.parametrize(
    "text, position, expected, found",
    [
        ("metrics.acc > 1", 0, "one of tags., attributes.", "metrics."),
        ("params.a = 'x'", 0, "one of tags., attributes.", "params."),
        ("run_id = 'x'", 0, "an attribute name (one of name, lifecycle_stage, experiment_id", "run_id"),
        ("creation_time = 'x'", 16, "a number for attribute 'creation_time'", "'x'"),
        ("name = 1", 7, "a quoted string for attribute 'name'", "1"),
    ],
)
def test_experiment_filter_errors(experiments, text, position, expected, found):
    with pytest.raises(InvalidFilterError) as info:
        filter_experiments(experiments, text)
    assert (info.value.position, info.value.found) == (position, found)
    assert expected in info.value.expected


def test_experiment_filter_rejects_non_strings(experiments):
    with pytest.raises(InvalidFilterError) as info:
        filter_experiments(experiments, 42)
    assert info.value.found == "int"


def test_default_experiment_order_is_last_update_desc_ties_by_id_desc(experiments):
    ordered = [e.experiment_id for e in sort_experiments(experiments, None)]
    # 9 and 10 tie on last_update_time: ids compared as numbers, descending; 11 has none
    assert ordered == ["10", "9", "0", "11"]


@pytest.mark.parametrize(
    "order_by, expected",
    [
        (["name"], ["0", "10", "11", "9"]),
        (["name DESC"], ["9", "11", "10", "0"]),
        (["experiment_id"], ["0", "9", "10", "11"]),
        (["experiment_id DESC"], ["11", "10", "9", "0"]),
        (["creation_time DESC"], ["11", "10", "9", "0"]),
        (["last_update_time ASC"], ["0", "10", "9", "11"]),
        (["tags.team", "name"], ["10", "9", "11", "0"]),
    ],
)
def test_sort_experiments(experiments, order_by, expected):
    assert [e.experiment_id for e in sort_experiments(experiments, order_by)] == expected


def test_non_numeric_experiment_ids_sort_after_numeric_ones():
    exps = [Experiment(i, f"n{i}", "/") for i in ("b", "2", "a", "10")]
    assert [e.experiment_id for e in sort_experiments(exps, ["experiment_id"])] == [
        "2",
        "10",
        "a",
        "b",
    ]


@pytest.mark.parametrize("bad", [["metrics.acc"], ["run_id"], "name", [1]])
def test_bad_experiment_order_by(experiments, bad):
    with pytest.raises(InvalidFilterError):
        validate_experiment_order_by(bad)
    with pytest.raises(InvalidFilterError):
        sort_experiments(experiments, bad)
