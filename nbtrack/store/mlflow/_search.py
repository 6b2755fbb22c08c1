"""Searches answered by the MLflow server itself, when its filter grammar can say the query.

nbtrack's grammar is MLflow's plus ``OR``, parentheses and ``IS [NOT] NULL``. A filter without
those is sent to the server as it is, with the order, page size and page token, so a search
moves one page over the wire instead of every run of the experiments. A filter with them, or
one the server refuses (``INVALID_PARAMETER_VALUE``: a field or comparator MLflow's grammar
lacks), is answered by nbtrack's own engine over the listed runs; the caller sees the same
result either way. Which path a query takes depends only on the query, so a page token always
goes back to the path that issued it.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ...entities import Experiment, Run
from ...errors import InvalidParameterError
from ...search.grammar import tokenize
from . import _convert

#: Keywords of nbtrack's grammar that MLflow's lacks.
_LOCAL_ONLY_WORDS = frozenset({"OR", "IS"})
#: Experiments: nbtrack's default order, said explicitly (MLflow's default is creation time).
_EXPERIMENT_ORDER = ("last_update_time DESC", "experiment_id DESC")

Page = tuple[list[Any], "str | None"]


def server_can_filter(filter_string: str | None) -> bool:
    """True when the filter uses no ``OR``, no grouping parentheses and no ``IS [NOT] NULL``.

    Parentheses right after ``IN`` hold a value list, which MLflow has too.
    """
    previous = ""
    for token in tokenize(filter_string or ""):
        word = token.text.upper() if token.kind == "WORD" else ""
        if word in _LOCAL_ONLY_WORDS:
            return False
        if token.kind == "LPAREN" and previous != "IN":
            return False
        previous = word
    return True


def _on_server(call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any | None:
    """The server's page, or None when it refuses the query as one it cannot express."""
    try:
        return call(*args, **kwargs)
    except InvalidParameterError:
        return None


def search_runs(
    call: Callable[..., Any],
    client: Any,
    experiment_ids: Sequence[str],
    filter_string: str,
    run_view_type: int,
    max_results: int,
    order_by: Sequence[str],
    page_token: str | None,
) -> tuple[list[Run], str | None] | None:
    """One page of MLflow's ``search_runs``, or None when nbtrack must filter (see module doc)."""
    if not server_can_filter(filter_string):
        return None
    found = _on_server(call, "searching runs", client.search_runs, [str(e) for e in experiment_ids],
                       filter_string or "", run_view_type, max_results, list(order_by), page_token)
    if found is None:
        return None
    return [_convert.run(r) for r in found], found.token or None


def search_experiments(
    call: Callable[..., Any],
    client: Any,
    view_type: int,
    max_results: int,
    filter_string: str,
    order_by: Sequence[str],
    page_token: str | None,
) -> tuple[list[Experiment], str | None] | None:
    """One page of MLflow's ``search_experiments``, or None when nbtrack must filter."""
    if not server_can_filter(filter_string):
        return None
    found = _on_server(call, "searching experiments", client.search_experiments, view_type, max_results,
                       filter_string or None, list(order_by or _EXPERIMENT_ORDER), page_token)
    if found is None:
        return None
    return [_convert.experiment(e) for e in found], found.token or None
