"""Finding the run a magic's argument names, through the one resolver every front end uses
(:func:`nbtrack._run_ids.resolve_run_id`: full id, unique id prefix of 6+ characters, or exact
run name); for a magic, a reference that names no run or several is a ``UsageError``.
"""
from __future__ import annotations

from typing import Any

from IPython.core.error import UsageError

from .._run_ids import MIN_PREFIX, resolve_run_id
from ..entities import Run
from ..errors import NbtrackError

__all__ = ["MIN_PREFIX", "find_run", "find_run_id"]


def find_run_id(client: Any, ref: str) -> str:
    """The id of the run ``ref`` names; UsageError (listing candidates) if none or several."""
    try:
        return resolve_run_id(client, ref)
    except NbtrackError as exc:
        raise UsageError(str(exc)) from None


def find_run(client: Any, ref: str) -> Run:
    """The run ``ref`` names; UsageError if none or several match."""
    return client.get_run(find_run_id(client, ref))
