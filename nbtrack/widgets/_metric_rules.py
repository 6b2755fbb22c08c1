"""Pure rules the panels share: which chart a metric key goes to, and which value is best.

Grouping rule (LiveCurves draws one chart per group): a key is split on ``/ _ - . space``;
tokens naming a data split (``train``, ``training``, ``val``, ``valid``, ``validation``,
``test``, ``eval``, ``evaluation``, ``dev``) are dropped and the rest joined with ``_``.
So ``train_loss``, ``val_loss``, ``loss/train`` and ``val/loss`` all land on the ``loss``
chart, ``train_acc`` and ``val_acc`` on ``acc``, and ``learning_rate`` stays on its own chart.
A key made only of split names (``train``) is its own group.

Best-value rule (RunComparison highlights one value per metric): lower is better when the key
contains ``loss``, ``error``, ``err``, ``mse``, ``mae``, ``rmse``, ``perplexity`` or ``wer``
(case-insensitive); otherwise higher is better. NaN never wins.
"""
from __future__ import annotations

import math
import re
from collections.abc import Mapping

__all__ = ["metric_group", "lower_is_better", "best_key"]

_SPLIT_RE = re.compile(r"[/_\-. ]+")
_SPLIT_NAMES = frozenset(
    {"train", "training", "val", "valid", "validation", "test", "eval", "evaluation", "dev"}
)
_LOWER_RE = re.compile(r"loss|error|err(?![a-z])|mse|mae|rmse|perplexity|wer", re.IGNORECASE)


def metric_group(key: str) -> str:
    """Name of the chart ``key`` is drawn on (see the module docstring for the rule)."""
    tokens = [t for t in _SPLIT_RE.split(key) if t]
    kept = [t for t in tokens if t.lower() not in _SPLIT_NAMES]
    return "_".join(kept) if kept else key


def lower_is_better(key: str) -> bool:
    """True for loss/error-like keys, whose best value is the minimum."""
    return _LOWER_RE.search(key) is not None


def best_key(key: str, values: Mapping[str, float | None]) -> str | None:
    """Which entry of ``values`` (id -> value) holds the best value of metric ``key``.

    Ties go to the first id in iteration order; non-finite values are ignored, and ``None``
    is returned when no finite value exists.
    """
    finite = [(k, v) for k, v in values.items() if v is not None and math.isfinite(v)]
    if not finite:
        return None
    pick = min if lower_is_better(key) else max
    return pick(finite, key=lambda kv: kv[1])[0]
