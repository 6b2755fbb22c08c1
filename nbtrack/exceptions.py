"""MLflow's exception name, so ``from mlflow.exceptions import MlflowException`` ports by renaming.

``MlflowException`` is :class:`nbtrack.errors.NbtrackError`: every nbtrack error is one, and each
carries MLflow's ``error_code``.
"""
from __future__ import annotations

from .errors import NbtrackError as MlflowException

__all__ = ["MlflowException"]
