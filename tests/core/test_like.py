"""LIKE / ILIKE: the same answers as SQL's wildcards, in time linear in the value."""
from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nbtrack.search.like import compile_like
from nbtrack.search.schemas import filter_runs
from tests.core.test_filters import make_run


def reference(pattern: str, value: str, ignore_case: bool) -> bool:
    """SQL LIKE spelled as a regex: right answers, but backtracking (small inputs only)."""
    body = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.fullmatch(body, value, flags) is not None


@pytest.mark.parametrize(
    "pattern, value, expected",
    [
        ("", "", True),
        ("", "a", False),
        ("%", "", True),
        ("%%", "abc", True),
        ("_", "", False),
        ("_", "\n", True),
        ("a%", "a", True),
        ("%a", "ba", True),
        ("%a%", "bab", True),
        ("a%a", "a", False),
        ("a%a", "aa", True),
        ("%ab%ab%", "abab", True),
        ("%ab%ab%", "aba", False),
        ("%a_c%", "xxabcxx", True),
        ("a%b%c", "acb", False),
        ("%aab", "aaab", True),
        ("_%_", "a", False),
        ("_%_", "ab", True),
    ],
)
def test_like_cases(pattern, value, expected):
    assert compile_like(pattern)(value) is expected
    assert reference(pattern, value, False) is expected


@settings(max_examples=400, deadline=None)
@given(
    pattern=st.text(alphabet="ab%_A.", max_size=8),
    value=st.text(alphabet="abAB.\n", max_size=12),
    ignore_case=st.booleans(),
)
def test_like_agrees_with_the_regex_reading(pattern, value, ignore_case):
    assert compile_like(pattern, ignore_case)(value) is reference(pattern, value, ignore_case)


@given(
    core=st.text(alphabet="ab_", min_size=33, max_size=48),
    value=st.text(alphabet="ab", max_size=120),
    ends=st.sampled_from(["%{}%", "%{}", "{}%", "a%{}%b"]),
)
@settings(max_examples=300, deadline=None)
def test_long_wildcard_segments_agree_with_the_regex_reading(core, value, ends):
    # Segments longer than the regex limit are found by shift-and; they must give the same answers.
    pattern = ends.format(core)
    assert compile_like(pattern)(value) is reference(pattern, value, False)


@pytest.mark.parametrize(
    "pattern",
    ["%a%a%b", "%a%a%a%a%a%a%a%a%b", "%" + "a%" * 40 + "b", "%" + "_%" * 40 + "b", "%aaaaaaaaaaaaaab",
     "%" + "a_" * 1500 + "b%"],
)
def test_pathological_patterns_over_6000_characters(pattern):
    # A backtracking regex needs ~30 s for the first pattern; bench/like.py times the matcher.
    value = "a" * 6000
    run = make_run("x", params={"text": value})
    assert filter_runs([run], f"params.text LIKE '{pattern}'") == []
    assert filter_runs([run], f"params.text ILIKE '{pattern.upper()}'") == []
