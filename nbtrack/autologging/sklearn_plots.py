"""The PNG plots ``mlflow.sklearn.autolog`` logs for a classifier, drawn on its training data.

Every classifier gets ``training_confusion_matrix.png``; a binary one (two classes, with
``predict_proba`` or ``decision_function``) also ``training_roc_curve.png`` and
``training_precision_recall_curve.png``. Nothing is drawn without matplotlib, which is
imported only here (never by ``import nbtrack``); figures are built without pyplot, so no
window opens and notebooks show nothing extra.
"""
from __future__ import annotations

import importlib.util
import io
from collections.abc import Callable
from typing import Any

__all__ = ["classifier_plots"]


def classifier_plots(est: Any, X: Any, y: Any, sample_weight: Any = None) -> dict[str, Callable[[], bytes]]:
    """Artifact name -> a function that draws that plot as PNG bytes ({} without matplotlib)."""
    if importlib.util.find_spec("matplotlib") is None:
        return {}
    from sklearn import metrics as skm

    pred = est.predict(X)
    plots: dict[str, Callable[[], bytes]] = {
        "training_confusion_matrix.png": lambda: _png(
            lambda ax: skm.ConfusionMatrixDisplay.from_predictions(y, pred, sample_weight=sample_weight, ax=ax)
        ),
    }
    classes = getattr(est, "classes_", None)
    scores = _positive_scores(est, X) if classes is not None and len(classes) == 2 else None
    if scores is not None:
        positive = classes[1]  # type: ignore[index]
        plots["training_roc_curve.png"] = lambda: _png(
            lambda ax: skm.RocCurveDisplay.from_predictions(
                y, scores, pos_label=positive, sample_weight=sample_weight, ax=ax
            )
        )
        plots["training_precision_recall_curve.png"] = lambda: _png(
            lambda ax: skm.PrecisionRecallDisplay.from_predictions(
                y, scores, pos_label=positive, sample_weight=sample_weight, ax=ax
            )
        )
    return plots


def _positive_scores(est: Any, X: Any) -> Any:
    """Scores of the positive class: ``predict_proba``'s second column, else ``decision_function``."""
    if hasattr(est, "predict_proba"):
        try:
            return est.predict_proba(X)[:, 1]
        except Exception:  # noqa: BLE001 - e.g. SVC(probability=False) exposes it but refuses
            pass
    if hasattr(est, "decision_function"):
        return est.decision_function(X)
    return None


def _png(draw: Callable[[Any], Any]) -> bytes:
    from matplotlib.figure import Figure

    fig = Figure()
    draw(fig.add_subplot())
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()
