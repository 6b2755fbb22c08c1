"""Property tests: any text parses or raises InvalidFilterError; generated filters agree with a
small reference evaluator written independently of the parser."""
from __future__ import annotations

import math
import operator

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nbtrack.entities import Experiment, Run, RunData, RunInfo
from nbtrack.errors import InvalidFilterError
from nbtrack.search.schemas import (
    filter_experiments,
    filter_runs,
    parse_filter,
    sort_runs,
    validate_order_by,
)

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _run(run_id: str, start: int, metrics: dict, params: dict, tags: dict, status: str) -> Run:
    info = RunInfo(run_id, f"n{run_id}", "0", status, start, None, "active", f"/x/{run_id}")
    return Run(info, RunData(params=params, metrics=metrics, tags=tags))


RUNS = [
    _run("r0", 10, {"a": 0.5, "b": -1.0}, {"p": "abc"}, {"t": "A_c"}, "FINISHED"),
    _run("r1", 20, {"a": math.nan}, {"p": "a%c"}, {"t": "x'y"}, "RUNNING"),
    _run("r2", 30, {"b": math.inf}, {"p": ""}, {}, "FAILED"),
    _run("r3", 40, {}, {}, {"t": "ABC"}, "FINISHED"),
    _run("r4", 50, {"a": 2.5, "b": 0.0}, {"p": "ABC"}, {"t": "abc"}, "KILLED"),
]

VOCAB = [
    "metrics.a", "params.p", "tags.t", "attributes.status", "status", "start_time", "end_time",
    "metric.", "tags.", "`a b`", '"q"', "'v'", "'%'", "'it''s'", "1", "-2.5", "1e3", ".5",
    "=", "!=", "<", "<=", ">", ">=", "==", "<>", "!", "AND", "and", "OR", "or", "NOT", "IN",
    "in", "IS", "NULL", "not", "null", "LIKE", "ilike", "(", ")", ",", ".", "'", '"', "`",
    "foo", "foo.bar", "run_id", "created", "DESC", "asc", ";", "\\", "\n", "\x00", "é",
]


def _check_only_invalid_filter_error(text: str) -> None:
    try:
        expr = parse_filter(text)
    except InvalidFilterError as error:
        assert 0 <= error.position <= len(text)
        assert error.text == text
        assert error.expected
    else:
        assert all(isinstance(expr.matches(run), bool) for run in RUNS)


@FUZZ
@given(st.text())
def test_arbitrary_text_only_raises_invalid_filter_error(text):
    _check_only_invalid_filter_error(text)


@FUZZ
@given(st.text(alphabet="metricsparamgtu.`\"'()=!<>,%_ ANDORNTISULKE0123456789-+e"))
def test_grammar_flavoured_text_only_raises_invalid_filter_error(text):
    _check_only_invalid_filter_error(text)


@FUZZ
@given(st.lists(st.sampled_from(VOCAB), max_size=12), st.sampled_from([" ", ""]))
def test_token_soup_only_raises_invalid_filter_error(words, separator):
    _check_only_invalid_filter_error(separator.join(words))


@FUZZ
@given(st.text(), st.lists(st.sampled_from(VOCAB), max_size=4).map(" ".join))
def test_arbitrary_order_by_only_raises_invalid_filter_error(text, soup):
    for clause in (text, soup):
        try:
            validate_order_by([clause])
        except InvalidFilterError as error:
            assert 0 <= error.position <= len(clause)
        else:
            ordered = sort_runs(RUNS, [clause])
            assert sorted(r.info.run_id for r in ordered) == [r.info.run_id for r in RUNS]


@FUZZ
@given(st.text())
def test_arbitrary_experiment_filters_only_raise_invalid_filter_error(text):
    experiments = [Experiment("0", "Default", "/x", tags={"t": "v"}, creation_time=1)]
    try:
        result = filter_experiments(experiments, text)
    except InvalidFilterError as error:
        assert 0 <= error.position <= len(text)
    else:
        assert result in ([], experiments)


# --------------------------------------------------------------------------- reference evaluator


def _like(pattern: str, value: str, ignore_case: bool) -> bool:
    """SQL LIKE by dynamic programming (deliberately not via regex)."""
    if ignore_case:
        pattern, value = pattern.casefold(), value.casefold()
    reachable = {0}
    for char in pattern:
        following = set()
        for i in reachable:
            if char == "%":
                following.update(range(i, len(value) + 1))
            elif i < len(value) and (char == "_" or value[i] == char):
                following.add(i + 1)
        reachable = following
    return len(value) in reachable


NUMERIC_FIELDS = {
    "metrics.a": lambda r: r.data.metrics.get("a"),
    "metric.b": lambda r: r.data.metrics.get("b"),
    "start_time": lambda r: r.info.start_time,
}
STRING_FIELDS = {
    "params.p": lambda r: r.data.params.get("p"),
    "tags.`t`": lambda r: r.data.tags.get("t"),
    "attributes.status": lambda r: r.info.status,
}
NUMERIC_OPS = {
    "=": operator.eq, "!=": operator.ne, "<": operator.lt,
    "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}
WORDS = st.text(alphabet="abcABC%_'x", max_size=4)


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _keyword(draw, word: str) -> str:
    return draw(st.sampled_from([word, word.lower(), word.capitalize()]))


@st.composite
def numeric_clause(draw):
    name = draw(st.sampled_from(sorted(NUMERIC_FIELDS)))
    op = draw(st.sampled_from(sorted(NUMERIC_OPS)))
    literal = draw(st.sampled_from([-1.0, 0.0, 0.5, 2.5, 25.0, 1e3]))
    get, compare = NUMERIC_FIELDS[name], NUMERIC_OPS[op]

    def oracle(run):
        value = get(run)
        return value is not None and not math.isnan(value) and compare(value, literal)

    return f"{name} {op} {literal!r}", oracle


@st.composite
def string_clause(draw):
    name = draw(st.sampled_from(sorted(STRING_FIELDS)))
    get = STRING_FIELDS[name]
    op = draw(st.sampled_from(["=", "!=", "LIKE", "ILIKE", "IN", "NOT IN"]))
    if op in ("IN", "NOT IN"):
        values = draw(st.lists(WORDS, min_size=1, max_size=3))
        text = f"{name} {_keyword(draw, op)} ({', '.join(map(_quote, values))})"
        wanted = op == "IN"
        return text, lambda r: get(r) is not None and (get(r) in values) is wanted
    value = draw(WORDS)
    text = f"{name} {_keyword(draw, op) if op.isalpha() else op} {_quote(value)}"
    if op in ("LIKE", "ILIKE"):
        return text, lambda r: get(r) is not None and _like(value, get(r), op == "ILIKE")
    compare = NUMERIC_OPS[op]
    return text, lambda r: get(r) is not None and compare(get(r), value)


@st.composite
def null_clause(draw):
    name = draw(st.sampled_from(["metrics.a", "params.p", "tags.`t`"]))
    get = {**NUMERIC_FIELDS, **STRING_FIELDS}[name]
    if draw(st.booleans()):
        return f"{name} {_keyword(draw, 'IS')} {_keyword(draw, 'NULL')}", lambda r: get(r) is None
    return f"{name} IS NOT NULL", lambda r: get(r) is not None


def _combine(children):
    def build(draw_pair):
        (left, left_oracle), (right, right_oracle), joiner = draw_pair
        if joiner == "AND":
            return f"({left}) AND ({right})", lambda r: left_oracle(r) and right_oracle(r)
        return f"({left}) or ({right})", lambda r: left_oracle(r) or right_oracle(r)

    return st.tuples(children, children, st.sampled_from(["AND", "OR"])).map(build)


FILTERS = st.recursive(
    st.one_of(numeric_clause(), string_clause(), null_clause()), _combine, max_leaves=6
)


@FUZZ
@given(FILTERS)
def test_generated_filters_parse_and_agree_with_the_reference(generated):
    text, oracle = generated
    expected = [run.info.run_id for run in RUNS if oracle(run)]
    assert [run.info.run_id for run in filter_runs(RUNS, text)] == expected


@FUZZ
@given(FILTERS, FILTERS)
def test_unparenthesised_and_binds_tighter_than_or(first, second):
    (a, oracle_a), (b, oracle_b) = first, second
    text = f"({a}) OR ({b}) AND ({a})"  # = a OR (b AND a) = a
    assert [r.info.run_id for r in filter_runs(RUNS, text)] == [
        r.info.run_id for r in RUNS if oracle_a(r) or (oracle_b(r) and oracle_a(r))
    ]
