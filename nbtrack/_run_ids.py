"""Turning what a person types for a run into its id: the one resolver every front end uses.

Panels and tables show short ids and run names, so magics, the CLI, the REST routes and the
panels' inputs all accept, besides a full run id:

- a unique prefix of at least :data:`MIN_PREFIX` characters of a run id, or
- the exact name of a run (within the given experiments, else within all of them).

A prefix is tried before a name (a hex-looking name is reached when no id starts with it).
Both are pushed down to the store as filters, so resolving costs one search, not a scan.

Anything that matches more than one run is refused with the candidates listed, so a short
reference never silently picks the wrong run.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from .entities import Run
from .errors import AmbiguousRunIdError, InvalidParameterError, NbtrackError, RunNotFoundError

__all__ = ["MIN_PREFIX", "resolve_run_id", "resolve_run_ids"]

MIN_PREFIX = 6
MAX_CANDIDATES = 50  # matches fetched per query; more than one is already an error
_LISTED = 10  # candidates named in an ambiguity error
_HEX = re.compile(r"[0-9a-fA-F]+")


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _matching(client: Any, experiment_ids: list[str], filter_string: str) -> list[Run]:
    if not experiment_ids:
        return []
    return list(client.search_runs(experiment_ids, filter_string, max_results=MAX_CANDIDATES))


def resolve_run_id(client: Any, ref: str, experiment_ids: Sequence[str] | None = None) -> str:
    """The run id that ``ref`` stands for: a full id, a unique id prefix or an exact run name.

    Parameters
    ----------
    client : TrackingClient
        The store to look in.
    ref : str
        Full run id (deleted runs too), a prefix of at least 6 characters of an active run's
        id, or an active run's exact name.
    experiment_ids : list of str, optional
        Experiments the prefix and the name are looked up in (default: all active ones).

    Returns
    -------
    str
        The full run id.

    Raises
    ------
    InvalidParameterError
        ``ref`` is not a non-empty string.
    AmbiguousRunIdError
        More than one run matches; the message lists them (id, name, experiment).
    RunNotFoundError
        No run matches.
    """
    if not isinstance(ref, str) or not ref.strip():
        raise InvalidParameterError(f"A run id or name must be a non-empty string, got {ref!r}")
    ref = ref.strip()
    try:
        return client.get_run(ref).info.run_id
    except NbtrackError:
        pass  # not a full id: a prefix or a name
    ids = list(experiment_ids) if experiment_ids else [
        e.experiment_id for e in client.search_experiments()]
    found: dict[str, Run] = {}
    if len(ref) >= MIN_PREFIX and _HEX.fullmatch(ref):
        for run in _matching(client, ids, f"attributes.run_id LIKE '{ref.lower()}%'"):
            found[run.info.run_id] = run
    if not found:
        for run in _matching(client, ids, f"attributes.run_name = {_quoted(ref)}"):
            found[run.info.run_id] = run
    if len(found) == 1:
        return next(iter(found))
    if found:
        raise AmbiguousRunIdError(_ambiguity(ref, list(found.values())))
    raise RunNotFoundError(f"no run matches {ref!r}: give a run id, a unique id prefix "
                           f"({MIN_PREFIX}+ characters) or an exact run name")


def resolve_run_ids(client: Any, refs: Sequence[str],
                    experiment_ids: Sequence[str] | None = None) -> list[str]:
    """:func:`resolve_run_id` for each of ``refs``, in order."""
    return [resolve_run_id(client, ref, experiment_ids) for ref in refs]


def _ambiguity(ref: str, runs: list[Run]) -> str:
    lines = [f"  {r.info.run_id}  {r.info.run_name}  (experiment {r.info.experiment_id})"
             for r in runs[:_LISTED]]
    more = f"\n  ... and {len(runs) - _LISTED} more" if len(runs) > _LISTED else ""
    count = f"{len(runs)}" if len(runs) < MAX_CANDIDATES else f"{MAX_CANDIDATES} or more"
    return (f"{ref!r} matches {count} runs; use a longer id prefix or the full id:\n"
            + "\n".join(lines) + more)
