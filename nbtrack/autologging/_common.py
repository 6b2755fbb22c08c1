"""What every autolog integration shares: the run a training call logs into, param text,
warnings that never stop training, and artifacts written from bytes."""
from __future__ import annotations

import contextlib
import logging
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

__all__ = [
    "AUTOLOG_TAG", "Patches", "param_text", "training_run", "guarded", "log_bytes", "warn",
    "library_session", "in_library_session",
]

log = logging.getLogger("nbtrack.autologging")

AUTOLOG_TAG = "mlflow.autologging"
_PARAM_LIMIT = 6000


def param_text(value: Any) -> str:
    """A param value as MLflow's autolog stores it: ``str(value)``, cut to the 6000-character limit."""
    text = str(value)
    return text if len(text) <= _PARAM_LIMIT else text[: _PARAM_LIMIT - 3] + "..."


@contextlib.contextmanager
def training_run(flavor: str, silent: bool = False) -> Iterator[tuple[Any, str] | None]:
    """``(client, run_id)`` of the active run, or of a run started for this training call and
    ended after it (FINISHED, FAILED on an error, KILLED on an interrupt), tagged
    ``mlflow.autologging = <flavor>`` as MLflow does. ``None`` if no run could be started:
    training then goes on unlogged."""
    from .. import fluent

    run = fluent.active_run()
    own = run is None
    if run is None:
        try:
            run = fluent.start_run(tags={AUTOLOG_TAG: flavor})
        except Exception as exc:  # noqa: BLE001 - no run, still train
            warn(f"start a run for {flavor} autologging", exc, silent)
            yield None
            return
    try:
        yield run.client, run.run_id
    except BaseException as exc:
        if own:
            fluent.end_run("KILLED" if isinstance(exc, KeyboardInterrupt) else "FAILED")
        raise
    if own:
        fluent.end_run()


_sessions = threading.local()


@contextlib.contextmanager
def library_session() -> Iterator[None]:
    """While a library's own training runs (``XGBClassifier.fit``...), the scikit-learn pieces it
    calls inside (a ``LabelEncoder``...) are not logged as fits of their own."""
    depth = getattr(_sessions, "depth", 0)
    _sessions.depth = depth + 1
    try:
        yield
    finally:
        _sessions.depth = depth


def in_library_session() -> bool:
    return getattr(_sessions, "depth", 0) > 0


def warn(what: str, exc: BaseException, silent: bool = False) -> None:
    if not silent:
        log.warning("nbtrack autolog: could not %s: %s", what, exc)


def guarded(what: str, fn: Callable[[], Any], silent: bool = False) -> Any:
    """Run a logging step; a failure is a warning, never an error in the user's training."""
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001 - training succeeded; logging must not undo it
        warn(what, exc, silent)
        return None


def log_bytes(client: Any, run_id: str, data: bytes, file_name: str) -> None:
    """Log ``data`` as the artifact ``file_name`` at the root of the run's artifacts."""
    with tempfile.TemporaryDirectory(prefix="nbtrack-autolog-") as tmp:
        path = Path(tmp) / file_name
        path.write_bytes(data)
        client.log_artifact(run_id, str(path))


class Patches:
    """Attributes replaced by autologging, so ``disable=True`` can put every original back."""

    def __init__(self) -> None:
        self._applied: list[tuple[Any, str, Any]] = []

    def __bool__(self) -> bool:
        return bool(self._applied)

    def apply(self, owner: Any, name: str, wrapper: Callable[[Any], Any]) -> None:
        """Replace ``owner.name`` by ``wrapper(original)``; a class's method may be inherited
        (the wrapper then shadows it on ``owner`` only, and removal deletes the shadow)."""
        own = not isinstance(owner, type) or name in vars(owner)
        original = vars(owner)[name] if isinstance(owner, type) and own else getattr(owner, name)
        setattr(owner, name, wrapper(getattr(original, "_nbtrack_original", original)))
        self._applied.append((owner, name, original if own else _INHERITED))

    def remove(self) -> None:
        while self._applied:
            owner, name, original = self._applied.pop()
            if original is _INHERITED:
                delattr(owner, name)
            else:
                setattr(owner, name, original)


_INHERITED = object()
