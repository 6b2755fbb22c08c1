"""Images by key and step, tables, and artifact URIs: the media verbs of ``TrackingClient``.

The file layout is MLflow's (see :mod:`nbtrack.media`); every write goes through the run's
artifact repository, so the verbs work on a local store and on an MLflow server alike.
"""
from __future__ import annotations

import json
import posixpath
import tempfile
from collections.abc import Sequence
from typing import Any

from .. import _validation as v
from .. import media
from ..entities import RunTag
from ..errors import ArtifactNotFoundError, InvalidParameterError, NotFoundError
from .artifacts import ArtifactsMixin
from .runs import RunsMixin

__all__ = ["MediaMixin", "LOGGED_IMAGES_TAG", "LOGGED_ARTIFACTS_TAG"]

LOGGED_IMAGES_TAG = "mlflow.loggedImages"
LOGGED_ARTIFACTS_TAG = "mlflow.loggedArtifacts"


class MediaMixin(RunsMixin, ArtifactsMixin):
    """``log_image`` (one file, or a key's history by step), ``log_table``, ``load_table``."""

    def get_artifact_uri(self, run_id: str, artifact_path: str | None = None) -> str:
        """The URI of the run's artifact root, or of ``artifact_path`` below it."""
        root = self.get_run(run_id).info.artifact_uri.rstrip("/")
        if not artifact_path:
            return root
        return f"{root}/{posixpath.normpath(artifact_path).lstrip('/')}"

    def log_image(
        self,
        run_id: str,
        image: Any,
        artifact_file: str | None = None,
        key: str | None = None,
        step: int | None = None,
        timestamp: int | None = None,
    ) -> None:
        """Log an image as one file, or as step ``step`` of the image history ``key``.

        Parameters
        ----------
        run_id : str
        image : numpy array, PIL image, :class:`nbtrack.Image`, path or bytes
        artifact_file : str, optional
            Save as this one file (e.g. ``"plots/roc.png"``).
        key : str, optional
            Instead: add the image to the history of ``key`` at ``step`` (default 0); a
            thumbnail is saved beside it. Exactly one of ``artifact_file`` and ``key``.
        step, timestamp : int, optional
            Step (default 0) and time in ms (default now) of a keyed image.
        """
        if (artifact_file is None) == (key is None):
            raise InvalidParameterError("log_image needs exactly one of artifact_file or key")
        repo = self._artifact_repo(run_id, write=True)
        if artifact_file is not None:
            repo.write_bytes(artifact_file, media.to_png(image) if artifact_file.lower().endswith(".png") else _encoded(image, artifact_file))
            return
        step = 0 if step is None else v.validate_step(step)
        timestamp = v.validate_timestamp(timestamp)
        full, thumb = media.image_file_names(key, step, timestamp)  # type: ignore[arg-type]
        repo.write_bytes(full, media.to_png(image))
        repo.write_bytes(thumb, media.to_thumbnail(image))
        self.log_batch(run_id, tags=[RunTag(LOGGED_IMAGES_TAG, "true")])

    def get_image_history(self, run_id: str, key: str | None = None) -> list[media.ImageEntry]:
        """Images logged with a key (all keys when None), ordered by key, step and time."""
        try:
            files = self.list_artifacts(run_id, "images")
        except ArtifactNotFoundError:
            return []
        entries = [e for e in (media.parse_image_name(f.path) for f in files) if e is not None]
        if key is not None:
            entries = [e for e in entries if e.key == key]
        return sorted(entries, key=lambda e: (e.key, e.step, e.timestamp))

    def log_table(self, run_id: str, data: Any, artifact_file: str) -> None:
        """Save a dict of columns or a DataFrame as a JSON table; an existing table gets the rows appended.

        Raises
        ------
        InvalidParameterError
            If the data is not a table or the file name is not a ``.json`` path.
        """
        artifact_file = media.check_table_file(artifact_file)
        frame = media.as_frame(data)
        old = self._read_table(run_id, artifact_file)
        if old is not None:
            frame = media.merge_tables(old, frame)
        self._artifact_repo(run_id, write=True).write_bytes(artifact_file, media.table_json(frame))
        tags = self.get_run(run_id).data.tags
        listed = json.loads(tags.get(LOGGED_ARTIFACTS_TAG, "[]"))
        entry = {"path": artifact_file, "type": "table"}
        if entry not in listed:
            self.log_batch(run_id, tags=[RunTag(LOGGED_ARTIFACTS_TAG, json.dumps(listed + [entry]))])

    def _read_table(self, run_id: str, artifact_file: str) -> Any:
        with tempfile.TemporaryDirectory(prefix="nbtrack-table-") as tmp:
            try:
                path = self.download_artifacts(run_id, artifact_file, tmp)
            except (ArtifactNotFoundError, NotFoundError):
                return None
            with open(path, "rb") as fh:
                return media.read_table(fh.read())

    def load_table(
        self,
        experiment_id: str,
        artifact_file: str,
        run_ids: Sequence[str] | None = None,
        extra_columns: Sequence[str] | None = None,
    ) -> Any:
        """One DataFrame of the table ``artifact_file`` from every run that has it.

        Parameters
        ----------
        experiment_id : str
            Searched when ``run_ids`` is None.
        run_ids : list of str, optional
        extra_columns : list of str, optional
            Run attributes added as columns, e.g. ``["run_id"]``.

        Raises
        ------
        ArtifactNotFoundError
            If no run has the table.
        """
        media.check_table_file(artifact_file)
        if run_ids is None:
            run_ids = [r.info.run_id for r in self.search_runs([experiment_id], max_results=50_000)]
        frames = []
        for run_id in run_ids:
            frame = self._read_table(run_id, artifact_file)
            if frame is None:
                continue
            info = self.get_run(run_id).info
            for column in extra_columns or ():
                if not hasattr(info, column):
                    raise InvalidParameterError(f"extra_columns: runs have no attribute {column!r}")
                frame[column] = getattr(info, column)
            frames.append(frame)
        if not frames:
            raise ArtifactNotFoundError(f"No run has the table artifact {artifact_file!r}")
        import pandas as pd

        return pd.concat(frames, ignore_index=True)


def _encoded(image: Any, artifact_file: str) -> bytes:
    """The image in the format its file name asks for (Pillow decides from the suffix)."""
    import io

    buf = io.BytesIO()
    fmt = artifact_file.rsplit(".", 1)[-1].upper() if "." in artifact_file else "PNG"
    fmt = {"JPG": "JPEG", "TIF": "TIFF"}.get(fmt, fmt)
    try:
        media._as_pil(image).convert("RGB" if fmt == "JPEG" else media._as_pil(image).mode).save(buf, format=fmt)
    except (KeyError, ValueError, OSError) as exc:
        raise InvalidParameterError(f"Cannot save an image as {artifact_file!r}: {exc}") from None
    return buf.getvalue()
