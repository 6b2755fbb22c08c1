"""nbtrack: MLflow-style experiment tracking inside Jupyter, stored in local TinyDB files.

``import nbtrack`` stays light (no ipywidgets, bqplot, jupyter_server, matplotlib, pandas or
numpy); widgets, the server extension and ``nbtrack.sklearn`` load on first use.
"""
from __future__ import annotations

from typing import Any

from .client import MlflowClient, TrackingClient, add_metric_listener
from .entities import (
    AuditEvent,
    Experiment,
    FileInfo,
    LifecycleStage,
    Metric,
    ModelVersion,
    Param,
    RegisteredModel,
    Run,
    RunData,
    RunInfo,
    RunStatus,
    RunTag,
    ViewType,
)
from .errors import *  # noqa: F403 - every error class is public API
from .errors import __all__ as _error_names
from .fluent import *  # noqa: F403 - the MLflow-style verbs
from .fluent import __all__ as _fluent_names
from .system_metrics import (
    disable_system_metrics_logging,
    enable_system_metrics_logging,
    set_system_metrics_sampling_interval,
)

__version__ = "0.1.0"

_LAZY_SUBMODULES = ("sklearn", "xgboost", "lightgbm", "tracking", "pyfunc", "models")
# Sweep helpers load on first use (their module costs a few ms that `import nbtrack` need not pay).
_LAZY_NAMES = {
    "loguniform": "sweep", "report": "sweep", "uniform": "sweep", "autolog": "autologging", "Image": "media",
}

__all__ = [
    "__version__",
    "TrackingClient",
    "MlflowClient",
    "add_metric_listener",
    "enable_system_metrics_logging",
    "disable_system_metrics_logging",
    "set_system_metrics_sampling_interval",
    "autolog",
    "Image",
    "load_ipython_extension",
    "unload_ipython_extension",
    "AuditEvent",
    "Experiment",
    "FileInfo",
    "LifecycleStage",
    "Metric",
    "ModelVersion",
    "Param",
    "RegisteredModel",
    "Run",
    "RunData",
    "RunInfo",
    "RunStatus",
    "RunTag",
    "ViewType",
    "loguniform",
    "report",
    "uniform",
    *_error_names,
    *_fluent_names,
]


def load_ipython_extension(ip: Any) -> None:
    """``%load_ext nbtrack``: register the magics (imported only now)."""
    from . import magics

    magics.load_ipython_extension(ip)


def unload_ipython_extension(ip: Any) -> None:
    """``%unload_ext nbtrack``."""
    from . import magics

    magics.unload_ipython_extension(ip)


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    """Where JupyterLab finds the prebuilt sidebar (``jupyter labextension develop``)."""
    return [{"src": "labextension", "dest": "nbtrack"}]


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    """The REST API lives in ``nbtrack.server``; listed here so ``--ServerApp.jpserver_extensions=nbtrack`` works too."""
    return [{"module": "nbtrack.server"}]


def __getattr__(name: str) -> Any:
    """``nbtrack.sklearn`` and the sweep helpers import on first access."""
    import importlib

    if name in _LAZY_SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in _LAZY_NAMES:
        value = getattr(importlib.import_module(f"{__name__}.{_LAZY_NAMES[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    """The public API only (no ``annotations``, ``Any`` or submodules used internally)."""
    return sorted({*__all__, *_LAZY_SUBMODULES})
