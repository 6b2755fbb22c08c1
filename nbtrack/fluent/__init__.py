"""The module-level MLflow verbs (``nbtrack.start_run``, ``nbtrack.log_metric``...).

- :mod:`.runs` owns the active-run stack and the verbs that act on the active run;
- :mod:`.run_start` holds what ``start_run`` decides before a run exists (resume, parent, source);
- :mod:`.lookup` holds the verbs that take ids (search, get, delete, registry lookups);
- :mod:`.media` holds images, tables and artifact URIs.

Everything public is re-exported here and again from :mod:`nbtrack`.
"""
from __future__ import annotations

from .lookup import *  # noqa: F403 - verbs by id
from .lookup import __all__ as _lookup_names
from .media import *  # noqa: F403 - images, tables, artifact URIs
from .media import __all__ as _media_names
from .runs import *  # noqa: F403 - the active-run verbs
from .runs import __all__ as _runs_names

__all__ = [*_runs_names, *_lookup_names, *_media_names]
