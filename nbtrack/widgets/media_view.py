"""Images (``log_image`` with a key) and tables (``log_table``) of some runs, side by side.

Pure HTML (no ipywidgets): RunComparison shows it in an HTML widget under a step picker, and the
static twin keeps the same markup. Images are the logged thumbnails inlined as base64 data
URIs (no file or server needed to read the page later); tables show their first rows. All text
is escaped.
"""
from __future__ import annotations

import base64
import json
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .. import media
from ..entities import Run
from .static import escape, format_value, html_table

__all__ = ["MediaView", "MAX_TABLE_ROWS"]

MAX_TABLE_ROWS = 20
_MIME = {"webp": "image/webp", "png": "image/png"}


def _read(client: Any, run_id: str, path: str) -> bytes | None:
    """An artifact's bytes, or None if it cannot be read."""
    with tempfile.TemporaryDirectory(prefix="nbtrack-media-") as tmp:
        try:
            local = client.download_artifacts(run_id, path, tmp)
            return Path(local).read_bytes()
        except Exception:  # noqa: BLE001 - a missing file shows as a gap, not a broken panel
            return None


def _table_paths(run: Run) -> list[str]:
    try:
        listed = json.loads(run.data.tags.get("mlflow.loggedArtifacts", "[]"))
    except ValueError:
        return []
    return [e["path"] for e in listed if isinstance(e, dict) and e.get("type") == "table" and "path" in e]


class MediaView:
    """The images and tables of ``runs`` (labels give each run's column header)."""

    def __init__(self, client: Any, runs: Sequence[Run], labels: Sequence[str]):
        self._client, self.runs, self.labels = client, list(runs), list(labels)
        self.images = {r.info.run_id: client.get_image_history(r.info.run_id) for r in self.runs}
        self.image_keys = sorted({e.key for entries in self.images.values() for e in entries})
        self.steps = sorted({e.step for entries in self.images.values() for e in entries})
        self.table_paths = sorted({p for r in self.runs for p in _table_paths(r)})
        self._bytes: dict[str, bytes | None] = {}

    def _entry(self, run_id: str, key: str, step: int | None) -> media.ImageEntry | None:
        """The image of ``key`` at ``step`` (None: the latest step) in a run."""
        found = [e for e in self.images[run_id] if e.key == key and (step is None or e.step == step)]
        return found[-1] if found else None

    def _img(self, run_id: str, entry: media.ImageEntry) -> str:
        path = entry.thumbnail_path
        data = self._bytes.get(path) if path in self._bytes else _read(self._client, run_id, path)
        if data is None:  # no thumbnail: the full image
            path = entry.path
            data = _read(self._client, run_id, path)
        self._bytes[path] = data
        title = escape(f"{entry.key} at step {entry.step} ({entry.path})")
        if data is None:
            return f'<span title="{title}">missing</span>'
        mime = _MIME.get(path.rsplit(".", 1)[-1], "image/png")
        return (f'<img src="data:{mime};base64,{base64.b64encode(data).decode("ascii")}" '
                f'alt="{title}" title="{title}" style="width:128px;height:auto;display:block;">'
                f'<span style="color:var(--jp-ui-font-color1);font-size:11px;">step {entry.step}</span>')

    def images_html(self, step: int | None = None) -> str:
        """One row per image key, one column per run: the image at ``step`` (None: latest)."""
        if not self.image_keys:
            return ""
        rows = []
        for key in self.image_keys:
            cells = []
            for run in self.runs:
                entry = self._entry(run.info.run_id, key, step)
                cells.append("" if entry is None else self._img(run.info.run_id, entry))
            rows.append([key, *cells])
        which = "latest step" if step is None else f"step {step}"
        return html_table(["image", *self.labels], rows, raw_columns=range(1, len(self.runs) + 1),
                          caption=f"Images ({which})", css_class="nbtrack-images")

    def tables_html(self) -> str:
        """Each logged table, the runs' copies side by side (first rows of each)."""
        out = []
        for path in self.table_paths:
            parts = []
            for run, label in zip(self.runs, self.labels):
                data = _read(self._client, run.info.run_id, path)
                if data is None:
                    continue
                frame = media.read_table(data)
                rows = [[format_value(v) for v in row] for row in frame.head(MAX_TABLE_ROWS).values.tolist()]
                more = len(frame) - len(rows)
                caption = f"{label}" + (f" (first {len(rows)} of {len(frame)} rows)" if more > 0 else "")
                parts.append(f'<div style="margin-right:16px;">'
                             f"{html_table([str(c) for c in frame.columns], rows, caption=caption, css_class='nbtrack-logged-table')}</div>")
            if parts:
                out.append(f'<div style="color:var(--jp-ui-font-color1);"><b>Table {escape(path)}</b>'
                           f'<div style="display:flex;flex-wrap:wrap;align-items:flex-start;">{"".join(parts)}</div></div>')
        return "".join(out)
