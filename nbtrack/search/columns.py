"""A parsed run filter applied to columns of values, so a store can drop runs before building rows.

A store that keeps searchable fields as columns (one list of values per field, a value per run)
would otherwise build a light row for every run just to ask the filter about it. Given the
filter's ``test`` (what :func:`~nbtrack.search.schemas.parse_filter` returned ``.test`` of),
:func:`column_filter` gives a function that narrows a list of run positions using the columns
alone. Each comparison is the grammar's own comparison (``value_test``) applied to the value the
field's getter would have read, so the semantics are the filter's, not a copy of them.

The narrowing is a *superset*: a comparison whose column the store cannot give keeps every run,
so the store must still test each surviving row with the filter itself. It never drops a run the
filter would accept.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from itertools import compress
from typing import Any

from .grammar import And, Comparison, MatchAll, Or, value_test

__all__ = ["ColumnFilter", "column_filter", "EXPR_ATTRIBUTE"]

#: Where :func:`~nbtrack.search.schemas.parse_filter` records, on a filter's ``test`` function,
#: the expression it was compiled from.
EXPR_ATTRIBUTE = "nbtrack_filter"

#: Gives the values of field ``(entity, key)`` for every run of a shard (as the field's getter
#: would read them from that run's row), or None when it cannot.
Columns = Callable[[tuple[str, str]], "list[Any] | None"]
Narrow = Callable[[list[int], Columns], list[int]]


class ColumnFilter:
    """A filter over columns: called with run positions and ``columns``, returns those that may
    match. ``fields`` are the (entity, key) pairs it reads: when ``columns`` gives all of them,
    the positions returned are exactly the matching runs."""

    __slots__ = ("_narrow", "fields")

    def __init__(self, narrow: Narrow, fields: frozenset[tuple[str, str]]) -> None:
        self._narrow = narrow
        self.fields = fields

    def __call__(self, rows: list[int], columns: Columns) -> list[int]:
        return self._narrow(rows, columns)


@lru_cache(maxsize=64)
def column_filter(test: Callable[[Any], bool]) -> ColumnFilter | None:
    """The column form of the parsed run filter whose ``test`` this is; None for any other
    callable (the store then tests every row)."""
    expr = getattr(test, EXPR_ATTRIBUTE, None)
    if expr is None:
        expr = getattr(test, "__self__", None)  # MatchAll's test is a bound method
    if not isinstance(expr, (Comparison, And, Or, MatchAll)):
        return None
    return ColumnFilter(_plan(expr), frozenset(_fields(expr)))


def _fields(expr: Any) -> list[tuple[str, str]]:
    if isinstance(expr, Comparison):
        return [(expr.field.entity, expr.field.key)]
    return [f for term in getattr(expr, "terms", ()) for f in _fields(term)]


def _plan(expr: Any) -> Narrow:
    if isinstance(expr, Comparison):
        return _comparison(expr)
    if isinstance(expr, And):
        terms = [_plan(t) for t in expr.terms]

        def all_of(rows: list[int], columns: Columns) -> list[int]:
            for term in terms:
                if not rows:
                    break
                rows = term(rows, columns)
            return rows

        return all_of
    if isinstance(expr, Or):
        choices = [_plan(t) for t in expr.terms]

        def any_of(rows: list[int], columns: Columns) -> list[int]:
            hits: set[int] = set()
            for choice in choices:
                hits.update(choice(rows, columns))
                if len(hits) == len(rows):
                    break
            return [i for i in rows if i in hits]

        return any_of
    return lambda rows, columns: rows  # MatchAll


def _comparison(expr: Comparison) -> Narrow:
    check = value_test(expr.op, expr.value, expr.field.numeric)
    name = (expr.field.entity, expr.field.key)

    def compare(rows: list[int], columns: Columns) -> list[int]:
        values = columns(name)
        if values is None:
            return rows
        if len(rows) == len(values):  # every position, in order
            return list(compress(rows, map(check, values)))
        return list(compress(rows, map(check, [values[i] for i in rows])))

    return compare
