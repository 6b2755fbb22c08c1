"""Search: one filter grammar and ordering engine, applied to runs, experiments and the registry.

:mod:`.grammar` tokenises and parses MLflow's filter language (plus ``OR`` and parentheses) into
closures, never ``eval``; :mod:`.schemas` says what each name means for each kind of entity;
:mod:`.paging` cuts results into pages with tokens bound to their query.
"""
from __future__ import annotations

from .grammar import Expr
from .paging import PagedList
from .schemas import (
    filter_experiments,
    filter_runs,
    parse_filter,
    sort_experiments,
    sort_runs,
    validate_experiment_order_by,
    validate_order_by,
)

__all__ = [
    "Expr",
    "PagedList",
    "filter_experiments",
    "filter_runs",
    "parse_filter",
    "sort_experiments",
    "sort_runs",
    "validate_experiment_order_by",
    "validate_order_by",
]
