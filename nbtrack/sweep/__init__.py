"""The pure parts of a sweep: setting spaces, grid and random sampling, best, ``report``.

A ``%%track_sweep`` line names variables and Python expressions (``lr=[0.1, 0.01]
depth=range(2, 6) wd=loguniform(1e-5, 1e-2)``). Each evaluated expression becomes a *space*:

========================  ===========  ==================================================
expression value          kind         Optuna distribution
========================  ===========  ==================================================
list, tuple, set, ...     categorical  categorical over the items
``range(a, b, s)``        integer      ``IntDistribution(a, last, step=s)``
1-d numpy array           ordinal      integers over the positions if the numbers are
                                       monotonic (``np.linspace``, ``np.logspace``), else
                                       categorical
``loguniform(a, b)``      continuous   ``FloatDistribution(a, b, log=True)``
``uniform(a, b)``         continuous   ``FloatDistribution(a, b)``
anything else             fixed        the one value (a string, a number, a dict...)
========================  ===========  ==================================================

A setting is stored as *coordinates*: the position of the value in a finite space, or the
drawn number in a continuous one. Coordinates are what the grid enumerates and the random
sampler draws, and they let a setting be written back as source: a literal when the value
has one, else ``(<expression>)[<position>]``.

Nothing here imports Optuna, IPython or the store; the Optuna glue is in
:mod:`nbtrack.sweep.optuna` and the magic in :mod:`nbtrack.magics._sweep`.
"""
from __future__ import annotations

import ast
import itertools
import math
import random
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from ..errors import InvalidParameterError

__all__ = [
    "LogUniform",
    "Space",
    "Uniform",
    "best_index",
    "grid",
    "grid_size",
    "loguniform",
    "report",
    "reporting",
    "sample",
    "setting_source",
    "setting_values",
    "space_of",
    "uniform",
]

Coord = int | float  # a position in a finite space, or a drawn number


# -- continuous distributions (values users write in a sweep line) ----------------------------
@dataclass(frozen=True)
class Uniform:
    """Numbers drawn uniformly from ``[low, high]`` (continuous: random or Optuna sweeps only)."""

    low: float
    high: float

    def draw(self, rng: random.Random) -> float:
        return rng.uniform(self.low, self.high)


@dataclass(frozen=True)
class LogUniform(Uniform):
    """Numbers whose logarithm is uniform on ``[log low, log high]`` (learning rates, decays)."""

    def draw(self, rng: random.Random) -> float:
        return math.exp(rng.uniform(math.log(self.low), math.log(self.high)))


def _bounds(low: Any, high: Any, positive: bool) -> tuple[float, float]:
    for v in (low, high):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise InvalidParameterError(f"bounds must be finite numbers, got {low!r}, {high!r}")
    if not low < high:
        raise InvalidParameterError(f"low must be below high, got {low!r}, {high!r}")
    if positive and low <= 0:
        raise InvalidParameterError(f"loguniform needs positive bounds, got {low!r}, {high!r}")
    return float(low), float(high)


def loguniform(low: float, high: float) -> LogUniform:
    """A continuous sweep setting, log-uniform on ``[low, high]``: ``lr=loguniform(1e-4, 1e-1)``.

    Usable with ``--random N`` and ``--optuna N`` (a grid cannot enumerate it).
    """
    return LogUniform(*_bounds(low, high, positive=True))


def uniform(low: float, high: float) -> Uniform:
    """A continuous sweep setting, uniform on ``[low, high]``: ``dropout=uniform(0, 0.5)``."""
    return Uniform(*_bounds(low, high, positive=False))


# -- spaces -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Space:
    """The values one sweep variable takes.

    ``kind`` is ``categorical``, ``integer`` (a ``range``), ``ordinal`` (monotonic numbers),
    ``continuous`` (``dist`` set) or ``fixed``; ``values`` holds the finite values.
    """

    name: str
    expr: str
    kind: str
    values: Sequence[Any] = ()
    dist: Uniform | None = None

    @property
    def finite(self) -> bool:
        return self.dist is None

    @property
    def size(self) -> int:
        return len(self.values)

    def value(self, coord: Coord) -> Any:
        """The variable's value at ``coord`` (a position, or a drawn number)."""
        return coord if self.dist is not None else self.values[int(coord)]

    def draw(self, rng: random.Random) -> Coord:
        return self.dist.draw(rng) if self.dist is not None else rng.randrange(self.size)

    def source(self, coord: Coord) -> str:
        """Python source that rebuilds the value: a literal, else ``(expr)[position]``."""
        value = self.value(coord)
        text = _literal(value)
        if text is not None:
            return text
        return f"({self.expr})[{int(coord)}]"


def _literal(value: Any) -> str | None:
    """``repr`` of ``value`` if it reads back as an equal literal (numpy scalars as Python's)."""
    if type(value).__module__ == "numpy" and hasattr(value, "item"):
        value = value.item()
    text = repr(value)
    try:
        back = ast.literal_eval(text)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None
    same = back == value or (isinstance(value, float) and math.isnan(value) and math.isnan(back))
    return text if same and type(back) is type(value) else None


def _is_array(value: Any) -> bool:
    return type(value).__module__ == "numpy" and hasattr(value, "ndim") and hasattr(value, "tolist")


def _monotonic_numbers(values: Sequence[Any]) -> bool:
    try:
        nums = [float(v) for v in values]
    except (TypeError, ValueError):
        return False
    if any(isinstance(v, bool) for v in values) or not all(math.isfinite(v) for v in nums):
        return False
    pairs = list(itertools.pairwise(nums))
    return all(a < b for a, b in pairs) or all(a > b for a, b in pairs)


def space_of(name: str, expr: str, value: Any) -> Space:
    """The space of ``name=expr`` whose expression evaluated to ``value`` (see the module table).

    Raises ``InvalidParameterError`` for an empty collection or a multi-dimensional array.
    """
    values: Sequence[Any]
    if isinstance(value, Uniform):
        return Space(name, expr, "continuous", dist=value)
    if isinstance(value, range):
        kind, values = "integer", value
    elif _is_array(value):
        if value.ndim != 1:
            raise InvalidParameterError(f"{name}: an array setting must be 1-d, got shape {value.shape}")
        values = tuple(value)
        kind = "ordinal" if len(values) > 1 and _monotonic_numbers(values) else "categorical"
    elif isinstance(value, (str, bytes, Mapping)) or not _iterable(value):
        kind, values = "fixed", (value,)
    else:
        kind, values = "categorical", tuple(value)
    if len(values) == 0:
        raise InvalidParameterError(f"{name}={expr} has no values to sweep over")
    return Space(name, expr, kind, values)


def _iterable(value: Any) -> bool:
    try:
        iter(value)
    except TypeError:
        return False
    return True


# -- settings ---------------------------------------------------------------------------------
def grid_size(spaces: Sequence[Space]) -> int:
    """How many settings the full grid holds (every space must be finite)."""
    _check_finite(spaces, "a grid")
    return math.prod(s.size for s in spaces)


def _check_finite(spaces: Sequence[Space], what: str) -> None:
    continuous = [s.name for s in spaces if not s.finite]
    if continuous:
        raise InvalidParameterError(
            f"{', '.join(continuous)} {'is' if len(continuous) == 1 else 'are'} continuous and "
            f"cannot be enumerated in {what}; sample with --random N or --optuna N, or give a "
            "list, range or np.linspace instead"
        )


def grid(spaces: Sequence[Space]) -> Iterator[dict[str, Coord]]:
    """Every setting, the last variable varying fastest (as nested for-loops would)."""
    _check_finite(spaces, "a grid")
    names = [s.name for s in spaces]
    for coords in itertools.product(*(range(s.size) for s in spaces)):
        yield dict(zip(names, coords))


def sample(spaces: Sequence[Space], n: int, seed: int | None) -> list[dict[str, Coord]]:
    """``n`` random settings, the same ones for the same seed.

    When every space is finite and ``n`` fits in the grid, the settings are distinct (drawn
    without replacement); otherwise each variable is drawn on its own.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise InvalidParameterError(f"the number of settings must be a positive integer, got {n!r}")
    rng = random.Random(seed)
    if all(s.finite for s in spaces) and n <= grid_size(spaces):
        return [_unrank(spaces, i) for i in rng.sample(range(grid_size(spaces)), n)]
    return [{s.name: s.draw(rng) for s in spaces} for _ in range(n)]


def _unrank(spaces: Sequence[Space], index: int) -> dict[str, Coord]:
    """The ``index``-th setting of the grid (the order :func:`grid` yields)."""
    coords: dict[str, Coord] = {}
    for space in reversed(spaces):
        index, coords[space.name] = divmod(index, space.size)
    return {s.name: coords[s.name] for s in spaces}


def setting_values(spaces: Sequence[Space], coords: Mapping[str, Coord]) -> dict[str, Any]:
    """``{variable: value}`` of one setting."""
    return {s.name: s.value(coords[s.name]) for s in spaces}


def setting_source(spaces: Sequence[Space], coords: Mapping[str, Coord]) -> dict[str, str]:
    """``{variable: source text}`` that rebuilds one setting in the notebook."""
    return {s.name: s.source(coords[s.name]) for s in spaces}


def best_index(values: Sequence[float | None], direction: str) -> int | None:
    """Position of the best finite value (``minimize``/``maximize``); ties go to the first."""
    finite = [(i, v) for i, v in enumerate(values) if v is not None and math.isfinite(v)]
    if not finite:
        return None
    pick = min if direction == "minimize" else max
    return pick(finite, key=lambda iv: iv[1])[0]


# -- intermediate values (pruning) ------------------------------------------------------------
_reporter: Callable[[int, float], None] | None = None


def report(step: int, value: float) -> None:
    """Report an intermediate value of the objective from inside a ``%%track_sweep`` cell.

    Under ``--optuna`` the value goes to the trial, and when Optuna's pruner judges the child
    hopeless this raises :class:`nbtrack.RunPrunedError`: the child run ends KILLED with tag
    ``nbtrack.pruned=true`` and the sweep goes on. Elsewhere it does nothing, so a cell that
    reports runs unchanged outside a sweep. Let the error propagate (do not catch it in a bare
    ``except Exception``)::

        for epoch in range(20):
            loss = train_one_epoch()
            nbtrack.log_metric("val_loss", loss, step=epoch)
            nbtrack.report(epoch, loss)
    """
    if isinstance(step, bool) or not isinstance(step, int):
        raise InvalidParameterError(f"report step must be an integer, got {step!r}")
    if isinstance(value, bool) or not isinstance(value, (int, float)) and not hasattr(value, "__float__"):
        raise InvalidParameterError(f"report value must be a number, got {value!r}")
    fn = _reporter
    if fn is not None:
        fn(step, float(value))


@contextmanager
def reporting(fn: Callable[[int, float], None]) -> Iterator[None]:
    """Route :func:`report` calls to ``fn`` while the block runs (one sweep child)."""
    global _reporter
    previous, _reporter = _reporter, fn
    try:
        yield
    finally:
        _reporter = previous
