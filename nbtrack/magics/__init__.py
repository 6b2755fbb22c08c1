"""IPython magics that turn notebook cells into tracked runs (``%load_ext nbtrack``).

One module per job: :mod:`._tracking` holds ``TrackingMagics`` (``%%track_run``,
``%log_params``...), :mod:`._cell` opens and closes a tracked cell's run, :mod:`._args` turns
magic lines into checked values and :mod:`._summary` renders the end-of-run summary;
:mod:`._sweep` holds ``%%track_sweep``, :mod:`._restore` and :mod:`._diff` give back and compare
past runs (``%track_restore``, ``%track_diff``) and :mod:`.panels` shows the notebook panels.
This module registers them with the shell.
"""
from __future__ import annotations

from typing import Any

# The argument and summary helpers are part of ``nbtrack.magics``'s importable surface.
from ._args import RunRequest, parse_args, parse_pairs, parse_value, split_line  # noqa: F401
from ._diff import DiffMagics
from ._restore import RestoreMagics
from ._summary import SUMMARY_METRICS, error_text, metrics_text, summary_bundle  # noqa: F401
from ._sweep import SweepMagics
from ._tracking import TrackingMagics
from .panels import PanelMagics

__all__ = ["TrackingMagics", "load_ipython_extension", "unload_ipython_extension"]

_EVENTS = ("pre_run_cell", "post_run_cell")
_OWN_CLASSES = ("SweepMagics", "RestoreMagics", "DiffMagics", "PanelMagics")


def _magic_classes() -> list[type]:
    return [TrackingMagics, SweepMagics, RestoreMagics, DiffMagics, PanelMagics]


def load_ipython_extension(ip: Any) -> None:
    """Register the magics and the cell hooks (``%load_ext nbtrack``)."""
    if "TrackingMagics" in ip.magics_manager.registry:
        unload_ipython_extension(ip)
    for cls in _magic_classes():
        ip.register_magics(cls)
    magics = ip.magics_manager.registry["TrackingMagics"]
    for event in _EVENTS:
        ip.events.register(event, getattr(magics, event))
    ip.input_transformers_cleanup.append(magics.await_transform)


def unload_ipython_extension(ip: Any) -> None:
    """Remove the hooks and magics; a run opened by ``%track_run NAME`` is ended first."""
    registry = ip.magics_manager.registry
    magics = registry.get("TrackingMagics")
    if magics is None:
        return
    if magics.line_run is not None:
        magics._end_line_run()
    for event in _EVENTS:
        if getattr(magics, event) in ip.events.callbacks[event]:
            ip.events.unregister(event, getattr(magics, event))
    if magics.await_transform in ip.input_transformers_cleanup:
        ip.input_transformers_cleanup.remove(magics.await_transform)
    for name in [n for n in ("TrackingMagics", *_OWN_CLASSES) if n in registry]:
        owner = registry.pop(name)
        _remove_magics_of(ip, owner)


def _remove_magics_of(ip: Any, owner: Any) -> None:
    """Drop the magics ``owner`` registered (not same-named ones another class registered)."""
    for kind, table in ip.magics_manager.magics.items():
        for magic in list(owner.magics.get(kind, {})):
            if getattr(table.get(magic), "__self__", None) is owner:
                del table[magic]
