"""Model folders: save a model with a manifest of hashes, verify it, load it; parse model URIs.

A logged model is a folder holding the serialised model, an optional ``input_example.json`` and
``MLmodel.json``, the manifest (flavour, Python and library versions, creation time, run id and
the sha256 of every other file). Loading checks every hash before anything is unpickled.

Security: loading a pickle runs arbitrary code chosen by whoever wrote the file. The hashes catch
files that changed after logging, not a manifest rewritten together with them: only load models
from a store you trust.

This module knows nothing about runs, stores or Jupyter; the registry and client wire it in.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
import platform
import re
import sys
import warnings
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from .._validation import is_plain_relative_path, now_ms
from ..errors import ArtifactNotFoundError, InvalidModelUriError, InvalidParameterError, ModelIntegrityError
from .checks import STAGE_BY_LOWER

__all__ = [
    "MANIFEST_NAME",
    "FLAVORS",
    "ModelInfo",
    "RunsUri",
    "ModelsUri",
    "parse_model_uri",
    "detect_flavor",
    "save_model",
    "read_manifest",
    "verify_model",
    "load_model_folder",
    "local_path",
]

MANIFEST_NAME = "MLmodel.json"
FORMAT_VERSION = 1
FLAVORS = ("sklearn", "python_object")
INPUT_EXAMPLE_NAME = "input_example.json"
_URI_FORMS = (
    "runs:/<run_id>/<path>, models:/<name>/<version>, models:/<name>/<stage>, "
    "models:/<name>/latest or models:/<name>@<alias>"
)
_ALIAS_TAIL = re.compile(r"^[\w\-]+$")
_CHUNK = 1 << 20


# -- model URIs -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RunsUri:
    """``runs:/<run_id>/<path>``: a model folder inside a run's artifacts."""

    run_id: str
    path: str


@dataclass(frozen=True)
class ModelsUri:
    """``models:/...``: a registered model version picked by number, stage or alias.

    All three None means ``latest``: the highest version.
    """

    name: str
    version: int | None = None
    stage: str | None = None
    alias: str | None = None


def parse_model_uri(uri: Any) -> RunsUri | ModelsUri:
    """Split a model URI into its parts; InvalidModelUriError says what is malformed."""
    if not isinstance(uri, str):
        raise InvalidModelUriError(f"Model URI must be a string, got {type(uri).__name__} {uri!r}")
    if uri.startswith("runs:/"):
        return _parse_runs_uri(uri)
    if uri.startswith("models:/"):
        return _parse_models_uri(uri)
    raise InvalidModelUriError(f"Invalid model URI {uri!r}: expected one of {_URI_FORMS}")


def _parse_runs_uri(uri: str) -> RunsUri:
    body = uri[len("runs:/"):].lstrip("/")
    run_id, _, path = body.partition("/")
    path = path.strip("/")
    if not run_id or not path:
        raise InvalidModelUriError(
            f"Invalid model URI {uri!r}: runs URIs need a run id and an artifact path, "
            "as in runs:/<run_id>/model"
        )
    if not is_plain_relative_path(path):
        raise InvalidModelUriError(
            f"Invalid model URI {uri!r}: the artifact path {path!r} must be a plain relative "
            "path without '.', '..' or '//'"
        )
    return RunsUri(run_id=run_id, path=path)


def _parse_models_uri(uri: str) -> ModelsUri:
    body = uri[len("models:/"):]
    name, at, alias = body.rpartition("@")
    if at and name and _ALIAS_TAIL.match(alias):
        return ModelsUri(name=name, alias=alias)
    name, slash, suffix = body.rpartition("/")
    if not slash or not name or not suffix:
        raise InvalidModelUriError(
            f"Invalid model URI {uri!r}: models URIs name a model and a version, stage, "
            f"'latest' or alias; expected one of {_URI_FORMS}"
        )
    if suffix.isdigit() and suffix.isascii():
        if int(suffix) < 1:
            raise InvalidModelUriError(f"Invalid model URI {uri!r}: versions count from 1")
        return ModelsUri(name=name, version=int(suffix))
    if suffix.lower() == "latest":
        return ModelsUri(name=name)
    if suffix.lower() in STAGE_BY_LOWER:
        return ModelsUri(name=name, stage=STAGE_BY_LOWER[suffix.lower()])
    raise InvalidModelUriError(
        f"Invalid model URI {uri!r}: {suffix!r} is not a version number, 'latest' or a stage "
        f"(None, Staging, Production, Archived); for an alias write models:/{name}@<alias>"
    )


def local_path(location: str) -> Path:
    """Turn an artifact location (plain path or ``file://`` URI) into a local path."""
    parsed = urlparse(location)
    if parsed.scheme == "file":
        return Path(unquote(parsed.path))
    if parsed.scheme and len(parsed.scheme) > 1:  # one letter: a Windows drive
        raise InvalidModelUriError(
            f"Model source {location!r} is not on this machine; nbtrack loads local files only"
        )
    return Path(location)


# -- saving ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelInfo:
    """What ``log_model`` returns (MLflow's ``ModelInfo`` names)."""

    model_uri: str
    run_id: str
    artifact_path: str
    flavor: str
    utc_time_created: str
    manifest: dict = field(default_factory=dict, repr=False)
    registered_model_version: int | None = None

    @property
    def signature(self) -> Any:
        """The model's :class:`nbtrack.models.ModelSignature`, or None if none was logged."""
        from ..models import ModelSignature

        stored = self.manifest.get("signature")
        return None if stored is None else ModelSignature.from_dict(stored)

    @property
    def flavors(self) -> dict:
        return {self.flavor: self.manifest.get("loader", {})}


def detect_flavor(model: Any) -> str:
    """``sklearn`` for scikit-learn estimators, else ``python_object``.

    Looks at ``sklearn.base`` only if it is already imported: an estimator implies it is.
    """
    base = sys.modules.get("sklearn.base")
    if base is not None and isinstance(model, base.BaseEstimator):
        return "sklearn"
    return "python_object"


def save_model(
    model: Any,
    path: str | os.PathLike,
    *,
    flavor: str | None = None,
    run_id: str | None = None,
    artifact_path: str | None = None,
    input_example: Any = None,
    signature: Any = None,
) -> dict:
    """Write ``model`` into the empty or missing folder ``path`` and return its manifest.

    ``signature`` (a :class:`nbtrack.models.ModelSignature` or its dict) is stored as is.
    """
    flavor = detect_flavor(model) if flavor is None else flavor
    if flavor not in FLAVORS:
        raise InvalidParameterError(f"Unknown model flavor {flavor!r}; known flavors: {', '.join(FLAVORS)}")
    folder = Path(path)
    if folder.exists() and any(folder.iterdir()):
        raise InvalidParameterError(f"Cannot save a model into {str(folder)!r}: the folder is not empty")
    folder.mkdir(parents=True, exist_ok=True)
    serializer = _serializer_for(flavor)
    data_name = "model.joblib" if serializer == "joblib" else "model.pkl"
    (folder / data_name).write_bytes(_dumps(model, serializer))
    manifest: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "flavor": flavor,
        "loader": {"serializer": serializer, "data": data_name},
        "model_class": f"{type(model).__module__}.{type(model).__qualname__}",
        "python_version": platform.python_version(),
        "library_versions": _library_versions(flavor, model, serializer),
        "created_ms": now_ms(),
        "utc_time_created": datetime.now(timezone.utc).isoformat(),
        "run_id": run_id,
        "artifact_path": artifact_path,
    }
    if signature is not None:
        manifest["signature"] = signature.to_dict() if hasattr(signature, "to_dict") else dict(signature)
    if input_example is not None:
        manifest["input_example"] = _describe_example(input_example)
        example = _example_as_json(input_example)
        if example is not None:
            (folder / INPUT_EXAMPLE_NAME).write_text(example, encoding="utf-8")
    manifest["files"] = {rel: _sha256_file(folder / rel) for rel in _list_files(folder)}
    text = json.dumps(manifest, indent=2, sort_keys=True)
    (folder / MANIFEST_NAME).write_text(text + "\n", encoding="utf-8")
    return manifest


def _serializer_for(flavor: str) -> str:
    if flavor == "sklearn":
        try:
            import joblib  # noqa: F401  (scikit-learn depends on it, so it is nearly always there)
        except ImportError:
            return "pickle"
        return "joblib"
    return "pickle"


def _dumps(model: Any, serializer: str) -> bytes:
    buf = io.BytesIO()
    try:
        if serializer == "joblib":
            import joblib

            joblib.dump(model, buf)
        else:
            pickle.dump(model, buf, protocol=pickle.DEFAULT_PROTOCOL)
    except (pickle.PicklingError, TypeError, AttributeError) as exc:
        raise InvalidParameterError(
            f"Cannot log model of type {type(model).__qualname__}: it is not picklable ({exc})"
        ) from exc
    return buf.getvalue()


def _dist_version(dist: str) -> str | None:
    """Installed version of a distribution, or None (importlib.metadata loads on first use)."""
    import importlib.metadata

    try:
        return importlib.metadata.version(dist)
    except (importlib.metadata.PackageNotFoundError, ValueError):
        return None


def _library_versions(flavor: str, model: Any, serializer: str) -> dict[str, str]:
    names = {"nbtrack", type(model).__module__.split(".")[0]}
    if flavor == "sklearn":
        names |= {"scikit-learn", "numpy", "scipy"}
    if serializer == "joblib":
        names.add("joblib")
    versions = {}
    for name in sorted(names):
        dist = "scikit-learn" if name == "sklearn" else name
        version = _dist_version(dist)
        if version is not None:
            versions[dist] = version
    return versions


def _describe_example(example: Any) -> dict[str, Any]:
    """Shape and dtype of an input example (numpy array, DataFrame, list or scalar)."""
    if hasattr(example, "dtypes") and hasattr(example, "columns"):
        return {
            "type": "dataframe",
            "shape": list(example.shape),
            "columns": [str(c) for c in example.columns],
            "dtypes": {str(c): str(t) for c, t in example.dtypes.items()},
        }
    if hasattr(example, "shape") and hasattr(example, "dtype"):
        return {"type": "ndarray", "shape": list(example.shape), "dtype": str(example.dtype)}
    if isinstance(example, (list, tuple)):
        return {"type": type(example).__name__, "shape": _list_shape(example)}
    if isinstance(example, dict):
        return {"type": "dict", "keys": sorted(str(k) for k in example)}
    return {"type": type(example).__name__}


def _list_shape(value: Any) -> list[int]:
    shape = []
    while isinstance(value, (list, tuple)):
        shape.append(len(value))
        if not value:
            break
        value = value[0]
    return shape


def _example_as_json(example: Any) -> str | None:
    """The example itself as JSON when it converts cleanly, else None (the shape is kept)."""
    try:
        if hasattr(example, "to_dict") and hasattr(example, "columns"):
            payload = example.to_dict(orient="split")
        elif hasattr(example, "tolist"):
            payload = example.tolist()
        else:
            payload = example
        return json.dumps(payload, default=_json_scalar, allow_nan=True)
    except (TypeError, ValueError):
        return None


def _json_scalar(value: Any) -> Any:
    item = getattr(value, "item", None)
    if callable(item):
        return item()
    raise TypeError(type(value).__name__)


def _list_files(folder: Path) -> list[str]:
    """Relative posix paths of every file under ``folder`` except the manifest, sorted."""
    found = []
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in files:
            rel = Path(root, name).relative_to(folder).as_posix()
            if rel != MANIFEST_NAME:
                found.append(rel)
    return sorted(found)


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


# -- verifying and loading ------------------------------------------------------------------


def read_manifest(path: str | os.PathLike) -> dict:
    """Parse ``MLmodel.json`` of the model folder ``path``."""
    folder = Path(path)
    manifest_path = folder / MANIFEST_NAME
    if not manifest_path.is_file():
        what = "does not exist" if not folder.exists() else f"has no {MANIFEST_NAME}"
        raise ArtifactNotFoundError(f"Model folder {str(folder)!r} {what}; is it a logged model?")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ModelIntegrityError(
            f"Model manifest {str(manifest_path)!r} is not valid JSON ({exc})"
        ) from exc
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
        raise ModelIntegrityError(f"Model manifest {str(manifest_path)!r} has no 'files' table")
    if manifest.get("flavor") not in FLAVORS:
        raise ModelIntegrityError(
            f"Model manifest {str(manifest_path)!r} names flavor {manifest.get('flavor')!r}; "
            f"known flavors: {', '.join(FLAVORS)}"
        )
    return manifest


def verify_model(path: str | os.PathLike, manifest: dict | None = None) -> dict:
    """Check every file of the model folder against the manifest; return the manifest.

    Raises ModelIntegrityError naming the first file that changed, is missing, or is not listed.
    """
    folder = Path(path)
    manifest = read_manifest(folder) if manifest is None else manifest
    expected: dict[str, str] = manifest["files"]
    present = set(_list_files(folder))
    extra = sorted(present - set(expected))
    if extra:
        raise ModelIntegrityError(
            f"Model folder {str(folder)!r} contains {extra[0]!r}, which its manifest does not list"
        )
    for rel, digest in sorted(expected.items()):
        if rel not in present:
            raise ModelIntegrityError(
                f"Model file {rel!r} listed in the manifest is missing from {str(folder)!r}"
            )
        if _sha256_file(folder / rel) != digest:
            raise _changed(folder, rel)
    return manifest


def _changed(folder: Path, rel: str) -> ModelIntegrityError:
    return ModelIntegrityError(
        f"Model file {rel!r} in {str(folder)!r} changed after it was logged "
        "(its sha256 does not match the manifest); refusing to load it"
    )


def load_model_folder(path: str | os.PathLike, expected_flavor: str | None = None) -> Any:
    """Verify and unpickle the model in folder ``path``.

    Loading a pickle runs code chosen by whoever wrote it: only load from a store you trust.
    :func:`verify_model` checks every file of the folder; the model file is then read again,
    hashed again and unpickled from those same bytes, so a file swapped after the check is
    refused too.
    """
    folder = Path(path)
    manifest = read_manifest(folder)
    if expected_flavor is not None and manifest["flavor"] != expected_flavor:
        raise InvalidParameterError(
            f"Model in {str(folder)!r} has flavor {manifest['flavor']!r}, not {expected_flavor!r}; "
            "load it with nbtrack.load_model()"
        )
    verify_model(folder, manifest)
    loader = manifest.get("loader") or {}
    data_name = loader.get("data")
    if not isinstance(data_name, str) or data_name not in manifest["files"]:
        raise ModelIntegrityError(f"Model manifest in {str(folder)!r} names no listed data file")
    data = (folder / data_name).read_bytes()
    if hashlib.sha256(data).hexdigest() != manifest["files"][data_name]:
        raise _changed(folder, data_name)
    _warn_on_version_drift(manifest)
    return _loads(data, loader.get("serializer"))


def _loads(data: bytes, serializer: str | None) -> Any:
    if serializer == "joblib":
        import joblib

        return joblib.load(io.BytesIO(data))
    if serializer == "pickle":
        return pickle.loads(data)
    raise ModelIntegrityError(f"Model manifest names unknown serializer {serializer!r}")


def _warn_on_version_drift(manifest: dict) -> None:
    """Warn (never fail) when the model was saved with other Python or library versions."""
    saved_py = str(manifest.get("python_version", ""))
    if saved_py.split(".")[:2] != platform.python_version().split(".")[:2]:
        here = platform.python_version()
        warnings.warn(f"Model was saved with Python {saved_py}; this is {here}", stacklevel=3)
    for dist, saved in (manifest.get("library_versions") or {}).items():
        current = None if dist == "nbtrack" else _dist_version(dist)
        if current is not None and current != saved:
            warnings.warn(f"Model was saved with {dist} {saved}; this is {dist} {current}", stacklevel=3)
