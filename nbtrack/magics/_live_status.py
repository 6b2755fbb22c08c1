"""The one-line status under a running ``%%track_run`` cell, settled into the summary at the end.

While the body runs, one display (a ``display_id``) shows the run's name and short id, the
time since it started, the latest value of a few metrics and how many points were logged. The
line is updated in place from the metric listener, at most once per ``interval`` (0.25 s: four
updates a second whatever the logging rate), and replaced by the run summary when the cell
ends. A notebook executed headless (nbclient, nbconvert, papermill) applies every update to
that same output, so it keeps exactly one line: the summary.

The line is shown only where a front end replaces displays in place (a kernel): a terminal
IPython prints every display, so there only the summary is printed.
"""
from __future__ import annotations

import html
import math
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from IPython.display import display, update_display

from .._durations import format_duration
from ..entities import Metric

__all__ = ["LiveStatus", "STATUS_METRICS", "can_update_in_place"]

STATUS_METRICS = 4  # latest values shown on the line; the rest are counted


def can_update_in_place(shell: Any) -> bool:
    """Whether displays of ``shell`` reach a front end that replaces them by display id."""
    return getattr(shell, "kernel", None) is not None


def _fmt(value: float) -> str:
    return f"{value:.4g}" if math.isfinite(value) else str(value)


class LiveStatus:
    """A throttled, in-place status line of one run (see the module docstring).

    Parameters
    ----------
    run_id, run_name : str
    start_ms : int
        The run's start time (ms since the epoch): the elapsed time counts from it.
    interval : float
        Seconds between two updates at most.
    """

    def __init__(self, run_id: str, run_name: str, start_ms: int, *, interval: float = 0.25):
        self.run_id, self.run_name, self.start_ms = run_id, run_name, start_ms
        self.interval = interval
        self.display_id = f"nbtrack-status-{uuid.uuid4().hex[:12]}"
        self.latest: dict[str, float] = {}
        self.points = 0
        self.updates = 0  # in-place updates sent (for tests and the curious)
        self._next = 0.0
        self._lock = threading.Lock()
        self._remove: Callable[[], None] | None = None

    # -- life cycle ----------------------------------------------------------------------------
    def start(self) -> None:
        """Show the line and follow the run's metrics."""
        from ..client import add_metric_listener

        display(self.bundle(), raw=True, display_id=self.display_id)
        self._next = time.monotonic() + self.interval
        self._remove = add_metric_listener(self._on_metrics)

    def finish(self, summary: dict[str, str]) -> None:
        """Stop following and replace the line with ``summary`` (a MIME bundle)."""
        self.stop()
        update_display(summary, raw=True, display_id=self.display_id)

    def stop(self) -> None:
        """Stop following the run's metrics (idempotent)."""
        if self._remove is not None:
            self._remove()
            self._remove = None

    def _on_metrics(self, run_id: str, metrics: list[Metric]) -> None:
        if run_id != self.run_id:
            return
        with self._lock:
            for m in metrics:
                self.latest[m.key] = m.value
            self.points += len(metrics)
            now = time.monotonic()
            if now < self._next:
                return
            self._next = now + self.interval
            self.updates += 1
        update_display(self.bundle(), raw=True, display_id=self.display_id)

    # -- rendering -------------------------------------------------------------------------------
    def _parts(self) -> tuple[str, list[tuple[str, str]], int]:
        elapsed = format_duration(max(0, int(time.time() * 1000) - self.start_ms))
        shown = list(self.latest.items())[-STATUS_METRICS:]
        more = len(self.latest) - len(shown)
        return elapsed, [(k, _fmt(v)) for k, v in shown], more

    def bundle(self) -> dict[str, str]:
        """The line now, as ``text/plain`` and ``text/html``."""
        elapsed, shown, more = self._parts()
        points = f"{self.points:,} point{'s' if self.points != 1 else ''}"
        values = " ".join(f"{k}={v}" for k, v in shown) + (f" (+{more})" if more else "")
        plain = (f"nbtrack: running {self.run_name!r} ({self.run_id[:8]}) {elapsed}"
                 + (f" | {values}" if values else "") + f" | {points}")
        e = html.escape
        cells = " ".join(f"<code>{e(k)}</code>={e(v)}" for k, v in shown) + (f" (+{more})" if more else "")
        rich = (
            '<div class="nbtrack-status-line" style="font-family:monospace;font-size:12px;'
            "color:var(--jp-ui-font-color1);box-shadow:inset 3px 0 0 var(--jp-brand-color1);"
            'padding-left:8px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;">'
            f"running <b>{e(self.run_name)}</b> "
            f'<span title="{e(self.run_id)}" style="color:var(--jp-ui-font-color2);">{e(self.run_id[:8])}</span>'
            f" · {e(elapsed)}" + (f" · {cells}" if cells else "") + f" · {e(points)}</div>"
        )
        return {"text/plain": plain, "text/html": rich}
