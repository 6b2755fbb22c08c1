"""The runs every search store holds: one deterministic generator shared by every filler.

Run ``i`` of a search store has 5 params, 3 metrics (one point each, step 0) and 2 tags drawn
from ``random.Random(7)`` in order, so every library, whether filled through its API or in
bulk, holds the very same runs and a search must return the very same answer. Stdlib only.
"""
from __future__ import annotations

import random
from collections.abc import Iterator
from typing import NamedTuple

__all__ = ["SearchRun", "search_runs_data", "MODELS", "METRIC_KEYS"]

MODELS = ("rf", "lr", "svm", "knn")
METRIC_KEYS = ("acc", "f1", "loss")


class SearchRun(NamedTuple):
    name: str
    params: dict[str, str]
    metrics: dict[str, float]
    tags: dict[str, str]


def search_runs_data(runs: int) -> Iterator[SearchRun]:
    rng = random.Random(7)
    for i in range(runs):
        params = {"model": MODELS[i % len(MODELS)], "depth": str(rng.randint(2, 12)),
                  "lr": f"{rng.random():.4f}", "seed": str(i), "features": "all"}
        metrics = {k: rng.random() for k in METRIC_KEYS}
        yield SearchRun(f"run-{i}", params, metrics, {"team": "bench", "batch": str(i // 100)})
