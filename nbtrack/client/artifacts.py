"""The artifact verbs of ``TrackingClient``: copy files in, list them, download them.

Where files go and how paths are checked lives in :mod:`nbtrack.artifacts`; this group only
finds the run's folder and hands the work over.
"""
from __future__ import annotations

import os
from typing import Any

from .. import _validation as v
from ..artifacts import ArtifactRepository, dict_bytes, figure_bytes, local_path_from_uri
from ..entities import FileInfo, Run
from ..errors import InvalidParameterError
from ._base import ClientBase

__all__ = ["ArtifactsMixin"]


class ArtifactsMixin(ClientBase):
    """The artifact verbs of ``TrackingClient`` (documented here once, numpydoc style)."""

    def _artifact_repo(self, run_id: str, write: bool = False) -> ArtifactRepository:
        run: Run = self._active_run(run_id) if write else self.get_run(run_id)
        remote = getattr(self._store, "artifact_repository", None)
        if remote is not None:  # a server's store: its artifacts go through MLflow's client
            return remote(run)
        return ArtifactRepository(local_path_from_uri(run.info.artifact_uri))

    def log_artifact(
        self, run_id: str, local_path: str | os.PathLike[str], artifact_path: str | None = None
    ) -> None:
        """Copy a local file, or a folder (as a sub-folder of that name), into the run's artifacts.

        Parameters
        ----------
        run_id : str
        local_path : str or path-like
            An existing file or folder.
        artifact_path : str, optional
            Sub-folder of the run's artifacts to put it in; may not leave that folder.

        Raises
        ------
        ArtifactNotFoundError
            If ``local_path`` does not exist.
        ArtifactPathError
            If ``artifact_path`` escapes the run's artifact folder.
        RunStateError
            If the run is deleted.
        """
        repo = self._artifact_repo(run_id, write=True)
        if os.path.isdir(local_path):  # MLflow copies a folder under its own name
            name = os.path.basename(os.path.normpath(os.fspath(local_path)))
            repo.log_dir(local_path, f"{artifact_path.rstrip('/')}/{name}" if artifact_path else name)
        else:
            repo.log_file(local_path, artifact_path)

    def log_artifacts(
        self, run_id: str, local_dir: str | os.PathLike[str], artifact_path: str | None = None
    ) -> None:
        """Copy the contents of a local folder (recursively) into the run's artifacts.

        Parameters
        ----------
        run_id : str
        local_dir : str or path-like
            An existing folder; its contents (not the folder itself) are copied.
        artifact_path : str, optional
            Sub-folder of the run's artifacts to copy into; may not leave that folder.

        Raises
        ------
        ArtifactNotFoundError
            If ``local_dir`` does not exist.
        ArtifactPathError
            If ``artifact_path`` escapes the run's artifact folder.
        """
        self._artifact_repo(run_id, write=True).log_dir(local_dir, artifact_path)

    def list_artifacts(self, run_id: str, path: str | None = None) -> list[FileInfo]:
        """List the direct children of ``path`` (default: the root) in the run's artifacts.

        Returns
        -------
        list of FileInfo
            Paths relative to the artifact root, sorted; ``file_size`` is None for folders.
            Empty for a missing path or a file.
        """
        return self._artifact_repo(run_id).list(path)

    def download_artifacts(
        self, run_id: str, path: str, dst_path: str | os.PathLike[str] | None = None
    ) -> str:
        """Copy an artifact file or folder (``""`` or ``"."``: everything) to a local folder.

        Parameters
        ----------
        run_id : str
        path : str
            Artifact path relative to the run's artifact root.
        dst_path : str or path-like, optional
            Destination folder (created if needed); default a fresh temp folder.

        Returns
        -------
        str
            Local path of the copy: the artifact's relative path below ``dst_path``.

        Raises
        ------
        ArtifactNotFoundError
            If the run has no artifact at ``path``.
        """
        return self._artifact_repo(run_id).download(path, dst_path)

    def log_text(self, run_id: str, text: str, artifact_file: str) -> None:
        """Save ``text`` (UTF-8) as the artifact ``artifact_file``, e.g. ``"notes/readme.txt"``."""
        if not isinstance(text, str):
            raise InvalidParameterError(f"text must be a string, got {type(text).__name__} {text!r:.80}")
        data = v.check_encodable(text, "Artifact text").encode("utf-8")
        self._artifact_repo(run_id, write=True).write_bytes(artifact_file, data)

    def log_dict(self, run_id: str, dictionary: Any, artifact_file: str) -> None:
        """Save a JSON-serialisable object as ``artifact_file``.

        ``.yaml`` / ``.yml`` names are written as YAML (needs PyYAML), anything else as JSON.

        Raises
        ------
        InvalidParameterError
            If the object cannot be serialised, or YAML is asked for without PyYAML.
        """
        data = dict_bytes(dictionary, artifact_file)
        self._artifact_repo(run_id, write=True).write_bytes(artifact_file, data)

    def log_figure(self, run_id: str, figure: Any, artifact_file: str) -> None:
        """Save a matplotlib Figure, or a plotly-like figure, as an artifact image.

        Parameters
        ----------
        run_id : str
        figure : matplotlib.figure.Figure or plotly figure
            Anything with ``savefig``, or ``write_html`` (for ``.html``) / ``write_image``.
        artifact_file : str
            e.g. ``"plots/loss.png"``; the extension picks the format.
        """
        repo = self._artifact_repo(run_id, write=True)
        repo.write_bytes(artifact_file, figure_bytes(figure, artifact_file))
