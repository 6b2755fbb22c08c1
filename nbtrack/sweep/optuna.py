"""Optuna as the search engine of ``%%track_sweep --optuna N`` (optional extra ``nbtrack[optuna]``).

Uses Optuna's ask-and-tell interface: the sweep asks for a trial over the distributions of
:func:`distributions`, runs the cell as a child run, and tells the outcome. Finite spaces are
suggested by position (categorical or integer), so any value, not only Optuna's primitive
types, can be swept; ``range`` spaces are suggested as the integers themselves.
"""
from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from . import Coord, LogUniform, Space

__all__ = ["DEFAULT_PRUNER", "coords_of", "create_study", "distributions", "import_optuna", "quiet"]

#: The pruner of every Optuna sweep: few startup trials and no warm-up, so short sweeps prune.
DEFAULT_PRUNER = {"n_startup_trials": 2, "n_warmup_steps": 0}


def import_optuna() -> Any:
    """The ``optuna`` module, or ImportError saying how to install it."""
    try:
        import optuna
    except ImportError:
        raise ImportError(
            "--optuna needs Optuna: pip install 'nbtrack[optuna]' (or pip install optuna)"
        ) from None
    return optuna


def create_study(direction: str, seed: int | None) -> Any:
    """An in-memory study: TPE sampler seeded with ``seed``, median pruner (see DEFAULT_PRUNER)."""
    optuna = import_optuna()
    with quiet():
        return optuna.create_study(
            direction=direction,
            sampler=optuna.samplers.TPESampler(seed=seed),
            pruner=optuna.pruners.MedianPruner(**DEFAULT_PRUNER),
        )


def distributions(spaces: Sequence[Space]) -> dict[str, Any]:
    """Optuna distributions of the spaces that vary (fixed ones are left out)."""
    d = import_optuna().distributions
    out: dict[str, Any] = {}
    for s in spaces:
        if s.dist is not None:
            out[s.name] = d.FloatDistribution(s.dist.low, s.dist.high, log=isinstance(s.dist, LogUniform))
        elif s.kind == "fixed":
            continue
        elif s.kind == "integer" and s.size > 1:
            r = s.values
            assert isinstance(r, range)
            low, high = (r[0], r[-1]) if r.step > 0 else (r[-1], r[0])
            out[s.name] = d.IntDistribution(low, high, step=abs(r.step))
        elif s.kind in ("integer", "ordinal"):
            out[s.name] = d.IntDistribution(0, s.size - 1)
        else:
            out[s.name] = d.CategoricalDistribution(list(range(s.size)))
    return out


def coords_of(spaces: Sequence[Space], params: Mapping[str, Any]) -> dict[str, Coord]:
    """The setting (coordinates) of a trial's ``params``."""
    coords: dict[str, Coord] = {}
    for s in spaces:
        if s.kind == "fixed":
            coords[s.name] = 0
        elif s.dist is not None:
            coords[s.name] = float(params[s.name])
        elif s.kind == "integer" and s.size > 1:
            coords[s.name] = s.values.index(params[s.name])
        else:
            coords[s.name] = int(params[s.name])
    return coords


@contextmanager
def quiet() -> Iterator[None]:
    """Silence Optuna's per-trial INFO lines while a sweep runs (the sweep shows its own table)."""
    logger = logging.getLogger("optuna")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)
