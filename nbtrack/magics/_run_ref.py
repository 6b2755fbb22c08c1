"""Finding the run a magic's argument names: a run id, a unique id prefix, or a run name.

A private stand-in until the client offers one resolver for every front end (issue 10); the
rule is the same: an exact id, else a unique prefix of at least 6 characters of an id, else
an exact run name; an ambiguous reference lists the candidates.
"""
from __future__ import annotations

import re
from typing import Any

from IPython.core.error import UsageError

from ..entities import Run
from ..errors import NbtrackError

__all__ = ["MIN_PREFIX", "find_run"]

MIN_PREFIX = 6
MAX_CANDIDATES = 50
_HEX = re.compile(r"[0-9a-fA-F]+")


def _search(client: Any, ids: list[str], filter_string: str) -> list[Run]:
    return list(client.search_runs(ids, filter_string, max_results=MAX_CANDIDATES))


def find_run(client: Any, ref: str) -> Run:
    """The run ``ref`` names; UsageError if none or several match."""
    ref = ref.strip()
    if not ref:
        raise UsageError("give a run id, a unique id prefix (6+ characters) or a run name")
    try:
        return client.get_run(ref)
    except NbtrackError:
        pass
    ids = [e.experiment_id for e in client.search_experiments()]
    found: dict[str, Run] = {}
    if len(ref) >= MIN_PREFIX and _HEX.fullmatch(ref):
        for run in _search(client, ids, f"attributes.run_id LIKE '{ref.lower()}%'"):
            found[run.info.run_id] = run
    quoted = ref.replace("'", "''")
    for run in _search(client, ids, f"attributes.run_name = '{quoted}'"):
        found[run.info.run_id] = run
    if len(found) == 1:
        return next(iter(found.values()))
    if not found:
        raise UsageError(f"no run matches {ref!r}: give a run id, a unique id prefix "
                         f"({MIN_PREFIX}+ characters) or an exact run name")
    listed = "\n".join(f"  {r.info.run_id}  {r.info.run_name}  (experiment {r.info.experiment_id})"
                       for r in found.values())
    raise UsageError(f"{ref!r} matches {len(found)} runs; give more of the id:\n{listed}")
