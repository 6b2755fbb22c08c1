"""The local artifact repository of one run: copy files in, list them, copy them out.

Every artifact path is a relative POSIX path inside the run's artifact folder. Paths are
normalised and rejected (``ArtifactPathError``) when they would leave that folder, whether by
``..``, an absolute path, or a symlink inside the folder that points elsewhere.
"""
from __future__ import annotations

import io
import json
import os
import posixpath
import shutil
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from ._validation import check_encodable, leaves_folder
from .entities import FileInfo
from .errors import ArtifactNotFoundError, ArtifactPathError, InvalidParameterError, StoreError

#: Longest file or folder name accepted in an artifact path (bytes of UTF-8): file systems allow
#: 255, and a write goes through a temporary name a little longer than the final one.
MAX_NAME_BYTES = 200

__all__ = [
    "ArtifactRepository",
    "is_local_uri",
    "local_path_from_uri",
    "normalise_artifact_path",
    "dict_bytes",
    "figure_bytes",
]


def is_local_uri(uri: str) -> bool:
    """Whether a run's ``artifact_uri`` names a local folder: a plain path (a Windows drive
    letter included) or a ``file:`` URI; ``mlflow-artifacts:``, ``s3://``... are remote."""
    scheme = urlparse(uri).scheme
    return scheme in ("", "file") or len(scheme) == 1


def local_path_from_uri(uri: str) -> Path:
    """Turn a run's ``artifact_uri`` (a plain path or ``file://`` URI) into a local path."""
    if not is_local_uri(uri):
        raise StoreError(
            f"Artifact location {uri!r} is not a local folder; nbtrack only reads and writes "
            "local artifacts (plain paths or file:// URIs)"
        )
    if uri.startswith("file:"):
        return Path(unquote(urlparse(uri).path))
    return Path(uri)


def normalise_artifact_path(artifact_path: str | None) -> str:
    """Return ``artifact_path`` as a clean relative POSIX path ('' for the root), or raise."""
    if artifact_path is None:
        return ""
    if not isinstance(artifact_path, str):
        raise InvalidParameterError(
            f"artifact path must be a string, got {type(artifact_path).__name__} {artifact_path!r}"
        )
    text = artifact_path.replace("\\", "/")
    if text.startswith("/") or (len(text) > 1 and text[1] == ":"):
        raise ArtifactPathError(
            f"Artifact path {artifact_path!r} is absolute; it must be relative to the run's "
            "artifact folder"
        )
    if "\x00" in text:
        raise ArtifactPathError(f"Artifact path {artifact_path!r} contains a NUL character")
    check_encodable(text, "Artifact path")
    for part in text.split("/"):
        if len(part.encode("utf-8")) > MAX_NAME_BYTES:
            raise ArtifactPathError(
                f"Artifact path {artifact_path[:60]!r}... has a name of {len(part.encode('utf-8'))} "
                f"bytes; file systems allow {MAX_NAME_BYTES} (with room for a temporary suffix)"
            )
    norm = posixpath.normpath(text) if text else "."
    if leaves_folder(norm):
        raise ArtifactPathError(
            f"Artifact path {artifact_path!r} leaves the run's artifact folder "
            f"(it normalises to {norm!r}); use a path below the folder"
        )
    return "" if norm == "." else norm


def _copy_file_atomic(src: Path, dst: Path) -> None:
    """Copy ``src`` to ``dst`` via a temp file and ``os.replace`` so readers never see half a file."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dst.name}.", suffix=".tmp", dir=dst.parent)
    os.close(fd)
    try:
        shutil.copyfile(src, tmp)
        os.replace(tmp, dst)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class ArtifactRepository:
    """Artifacts of one run, kept in a local folder (created on first write)."""

    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root)

    # -- paths ---------------------------------------------------------------------------
    def resolve(self, artifact_path: str | None) -> Path:
        """Absolute local path of ``artifact_path``; ArtifactPathError if it escapes the folder."""
        rel = normalise_artifact_path(artifact_path)
        target = self.root / rel if rel else self.root
        real_root = os.path.realpath(self.root)
        real_target = os.path.realpath(target)
        if real_target != real_root and not real_target.startswith(real_root + os.sep):
            raise ArtifactPathError(
                f"Artifact path {artifact_path!r} resolves to {real_target}, outside the run's "
                f"artifact folder {real_root} (a symlink points out of it)"
            )
        return target

    # -- writing -------------------------------------------------------------------------
    def log_file(self, local_path: str | os.PathLike[str], artifact_path: str | None = None) -> str:
        """Copy one local file under ``artifact_path``; return its artifact path."""
        src = Path(local_path)
        if not src.exists():
            raise ArtifactNotFoundError(f"Cannot log artifact: local file {str(src)!r} does not exist")
        if src.is_dir():
            raise InvalidParameterError(
                f"Cannot log artifact: {str(src)!r} is a directory; use log_artifacts() for folders"
            )
        rel = posixpath.join(normalise_artifact_path(artifact_path), src.name) if artifact_path else src.name
        _copy_file_atomic(src, self.resolve(rel))
        return rel

    def log_dir(self, local_dir: str | os.PathLike[str], artifact_path: str | None = None) -> list[str]:
        """Copy the contents of a local folder under ``artifact_path``; return the files' paths."""
        src = Path(local_dir)
        if not src.exists():
            raise ArtifactNotFoundError(
                f"Cannot log artifacts: local directory {str(src)!r} does not exist"
            )
        if not src.is_dir():
            raise InvalidParameterError(
                f"Cannot log artifacts: {str(src)!r} is a file, not a directory; "
                "use log_artifact() for single files"
            )
        base = normalise_artifact_path(artifact_path)
        logged = []
        for dirpath, _dirnames, filenames in os.walk(src, followlinks=False):
            sub = Path(dirpath).relative_to(src).as_posix()
            for name in sorted(filenames):
                rel = posixpath.normpath(posixpath.join(base, sub, name))
                _copy_file_atomic(Path(dirpath) / name, self.resolve(rel))
                logged.append(rel)
        if not logged:
            self.resolve(base).mkdir(parents=True, exist_ok=True)
        return logged

    def write_bytes(self, artifact_file: str, data: bytes) -> str:
        """Write ``data`` as the artifact file ``artifact_file``; return its artifact path."""
        rel = normalise_artifact_path(artifact_file)
        if not rel or (isinstance(artifact_file, str) and artifact_file.endswith("/")):
            raise InvalidParameterError(
                f"artifact_file {artifact_file!r} must name a file, like 'notes/summary.txt'"
            )
        dst = self.resolve(rel)
        if dst.is_dir():
            raise InvalidParameterError(
                f"artifact_file {artifact_file!r} is an existing artifact directory"
            )
        dst.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{dst.name[:40]}.", suffix=".tmp", dir=dst.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, dst)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return rel

    # -- reading -------------------------------------------------------------------------
    def list(self, path: str | None = None) -> list[FileInfo]:
        """Direct children of ``path`` (root if None), sorted; [] for a file or a missing path."""
        rel = normalise_artifact_path(path)
        folder = self.resolve(rel)
        if not folder.is_dir():
            return []
        infos = []
        for entry in os.scandir(folder):
            if entry.name.startswith(".") and entry.name.endswith(".tmp"):
                continue  # an in-flight atomic copy
            child = posixpath.join(rel, entry.name) if rel else entry.name
            if entry.is_dir():
                infos.append(FileInfo(child, True, None))
            else:
                infos.append(FileInfo(child, False, entry.stat().st_size))
        return sorted(infos, key=lambda info: info.path)

    def download(self, path: str, dst_path: str | os.PathLike[str] | None = None) -> str:
        """Copy ``path`` ('' or '.' for everything) into ``dst_path``; return the local copy's path.

        The copy keeps the artifact's relative path below ``dst_path`` (a fresh temp dir by default).
        """
        rel = normalise_artifact_path(path)
        src = self.resolve(rel)
        if rel and not src.exists():
            raise ArtifactNotFoundError(
                f"Artifact {path!r} does not exist in {self.root}; list_artifacts() shows what does"
            )
        dst_root = Path(dst_path) if dst_path is not None else Path(tempfile.mkdtemp(prefix="nbtrack-"))
        dst_root.mkdir(parents=True, exist_ok=True)
        dst = dst_root / rel if rel else dst_root
        if src.is_dir() or not rel:  # the root may not exist yet: an empty download
            self._copy_tree(rel, dst)
        else:
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dst)
        return str(dst.resolve())

    def _copy_tree(self, rel: str, dst: Path) -> None:
        """Copy a folder, resolving each entry so no symlink leads outside the run folder."""
        dst.mkdir(parents=True, exist_ok=True)
        for info in self.list(rel):
            target = dst / posixpath.basename(info.path)
            if info.is_dir:
                self._copy_tree(info.path, target)
            else:
                shutil.copyfile(self.resolve(info.path), target)


def dict_bytes(obj: Any, artifact_file: str) -> bytes:
    """``obj`` as YAML for ``.yaml``/``.yml`` names (needs PyYAML), else as indented JSON."""
    ext = os.path.splitext(str(artifact_file))[1].lower()
    if ext not in (".yaml", ".yml"):
        try:
            return json.dumps(obj, indent=2).encode("utf-8")
        except (TypeError, ValueError, RecursionError) as exc:
            raise InvalidParameterError(
                f"Cannot save {type(obj).__name__} as JSON {artifact_file!r}: {exc}"
            ) from exc
    try:
        import yaml
    except ImportError:
        raise InvalidParameterError(
            f"Saving {artifact_file!r} as YAML needs PyYAML (pip install pyyaml); "
            "use a .json file name instead"
        ) from None
    try:
        text = yaml.safe_dump(obj, default_flow_style=False, sort_keys=False)
    except (yaml.YAMLError, RecursionError) as exc:
        raise InvalidParameterError(
            f"Cannot save {type(obj).__name__} as YAML {artifact_file!r}: {exc}"
        ) from exc
    return check_encodable(text, f"YAML for {artifact_file!r}").encode("utf-8")


def figure_bytes(figure: Any, artifact_file: str) -> bytes:
    """Render ``figure`` in the format of ``artifact_file``'s extension.

    Duck-typed (``savefig`` for matplotlib, ``write_html`` / ``write_image`` for plotly) so
    matplotlib is never imported by nbtrack itself.
    """
    ext = os.path.splitext(str(artifact_file))[1].lower().lstrip(".")
    if not ext:
        raise InvalidParameterError(
            f"artifact_file {artifact_file!r} needs an extension (.png, .svg, .pdf, .html...)"
        )
    if hasattr(figure, "savefig"):
        buf = io.BytesIO()
        try:
            figure.savefig(buf, format=ext)
        except ValueError as exc:
            raise InvalidParameterError(f"Cannot save the figure as {artifact_file!r}: {exc}") from exc
        return buf.getvalue()
    writer = "write_html" if ext in ("html", "htm") else "write_image"
    if hasattr(figure, writer):
        with tempfile.TemporaryDirectory(prefix="nbtrack-fig-") as tmp:
            out = Path(tmp) / f"figure.{ext}"
            getattr(figure, writer)(str(out))
            return out.read_bytes()
    raise InvalidParameterError(
        f"Cannot log a {type(figure).__name__} as a figure: expected a matplotlib Figure "
        "(with savefig) or a plotly figure (with write_image / write_html)"
    )
