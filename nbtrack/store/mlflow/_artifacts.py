"""A run's artifacts on the server's artifact store, through MLflow's client.

Same verbs as :class:`nbtrack.artifacts.ArtifactRepository` (the local one), so the artifact
verbs of the client do not care where the files live. Paths are normalised by the same rule.
"""
from __future__ import annotations

import os
import posixpath
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ...entities import FileInfo
from ...errors import ArtifactNotFoundError, InvalidParameterError, NbtrackError


class RemoteArtifactRepository:
    """Artifacts of one run on an MLflow server (uploads and downloads go through MLflow)."""

    def __init__(self, client: Any, run_id: str, call: Callable[..., Any]) -> None:
        self._client = client
        self._run_id = run_id
        self._call = call

    @staticmethod
    def _normalise(path: str | None) -> str:
        from ...artifacts import normalise_artifact_path

        return normalise_artifact_path(path)

    def log_file(self, local_path: str | os.PathLike[str], artifact_path: str | None = None) -> str:
        src = Path(local_path)
        if not src.exists():
            raise ArtifactNotFoundError(f"Cannot log artifact: local file {str(src)!r} does not exist")
        if src.is_dir():
            raise InvalidParameterError(
                f"Cannot log artifact: {str(src)!r} is a directory; use log_artifacts() for folders"
            )
        folder = self._normalise(artifact_path) or None
        self._call(f"uploading {src.name}", self._client.log_artifact, self._run_id, str(src), folder)
        return posixpath.join(folder, src.name) if folder else src.name

    def log_dir(self, local_dir: str | os.PathLike[str], artifact_path: str | None = None) -> list[str]:
        src = Path(local_dir)
        if not src.is_dir():
            raise ArtifactNotFoundError(f"Cannot log artifacts: local directory {str(src)!r} does not exist")
        folder = self._normalise(artifact_path) or None
        self._call(f"uploading {src.name}/", self._client.log_artifacts, self._run_id, str(src), folder)
        return [
            posixpath.join(folder or "", p.relative_to(src).as_posix()) for p in sorted(src.rglob("*")) if p.is_file()
        ]

    def write_bytes(self, artifact_file: str, data: bytes) -> str:
        rel = self._normalise(artifact_file)
        if not rel or artifact_file.endswith("/"):
            raise InvalidParameterError(f"artifact_file {artifact_file!r} must name a file, like 'notes/summary.txt'")
        with tempfile.TemporaryDirectory(prefix="nbtrack-upload-") as tmp:
            path = Path(tmp) / posixpath.basename(rel)
            path.write_bytes(data)
            return self.log_file(path, posixpath.dirname(rel) or None)

    def list(self, path: str | None = None) -> list[FileInfo]:
        rel = self._normalise(path)
        infos = self._call("listing artifacts", self._client.list_artifacts, self._run_id, rel or None)
        return sorted((FileInfo(i.path, i.is_dir, i.file_size) for i in infos), key=lambda i: i.path)

    def download(self, path: str, dst_path: str | os.PathLike[str] | None = None) -> str:
        rel = self._normalise(path)
        dst = Path(dst_path) if dst_path is not None else Path(tempfile.mkdtemp(prefix="nbtrack-"))
        dst.mkdir(parents=True, exist_ok=True)
        try:
            return str(self._client.download_artifacts(self._run_id, rel, str(dst)))
        except NbtrackError:
            raise
        except Exception as exc:  # noqa: BLE001 - MLflow raises several types for a missing file
            raise ArtifactNotFoundError(
                f"Artifact {path!r} of run {self._run_id} could not be downloaded: {type(exc).__name__}"
            ) from None
