"""Notebook panels: LiveCurves, ExperimentBrowser, RunComparison, RegistryPanel.

The classes load on first use, so ``import nbtrack.widgets`` stays free of ipywidgets and
bqplot (the pure renderers in ``static`` and ``charts`` never import them).
"""
from __future__ import annotations

import importlib
from typing import Any

__all__ = ["LiveCurves", "ExperimentBrowser", "RunComparison", "RegistryPanel"]

_HOMES = {
    "LiveCurves": ".live",
    "ExperimentBrowser": ".browser",
    "RunComparison": ".comparison",
    "RegistryPanel": ".registry_panel",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
