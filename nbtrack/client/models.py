"""Logged models as client methods: log a model into a run, load it back, register it.

A logged model is a folder of run artifacts (:mod:`nbtrack.registry.models` writes, verifies
and loads it); registering one adds a version through the registry rules of
:mod:`nbtrack.registry.rules`, each change run inside ``self._store.update_registry(fn)`` under
the store's cross-process lock. :class:`ModelsMixin` is the explicit base of the registry verbs
(:class:`~nbtrack.client.registry.RegistryMixin`), which use its ``_change`` and ``_registry``.

Loading a model unpickles it, which runs code chosen by whoever wrote the file: only load models
from a store you trust.
"""
from __future__ import annotations

import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from .._validation import is_plain_relative_path
from ..artifacts import ArtifactRepository, local_path_from_uri
from ..entities import FileInfo, ModelVersion, Run
from ..errors import ArtifactNotFoundError, InvalidParameterError, RegisteredModelAlreadyExistsError
from ..registry import rules as rs
from ..registry.models import (
    ModelInfo,
    ModelsUri,
    RunsUri,
    load_model_folder,
    local_path,
    parse_model_uri,
    read_manifest,
    save_model,
)
from .artifacts import ArtifactsMixin

__all__ = ["ModelsMixin", "ModelInfo"]

T = TypeVar("T")


class ModelsMixin(ArtifactsMixin):
    """Model verbs of :class:`nbtrack.TrackingClient`; builds on the artifact verbs."""

    # -- plumbing ------------------------------------------------------------------------
    def _change(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Apply one registry-rule mutation under the store lock, stamped with who/when."""
        return self._store.update_registry(lambda state: fn(state, rs.Actor.now(), *args, **kwargs))

    def _registry(self) -> Mapping[str, Any]:
        return self._store.read_registry()

    # -- logging and loading models ------------------------------------------------------
    def log_model(
        self,
        run_id: str,
        model: Any,
        artifact_path: str,
        registered_model_name: str | None = None,
        input_example: Any = None,
        *,
        flavor: str | None = None,
        signature: Any = None,
    ) -> ModelInfo:
        """Save ``model`` as a folder of the run's artifacts, optionally registering it.

        Parameters
        ----------
        run_id : str
            An active (not deleted) run.
        model : object
            A scikit-learn estimator (flavor ``sklearn``) or any picklable object
            (``python_object``).
        artifact_path : str
            Folder inside the run's artifacts, e.g. ``"model"``; must not exist yet.
        registered_model_name : str, optional
            Also register the model under this name (created if missing) as a new version.
        input_example : array, DataFrame, list or dict, optional
            Saved as ``input_example.json``; its shape and dtype go in the manifest.
        flavor : {"sklearn", "python_object"}, optional
            Default: ``sklearn`` for scikit-learn estimators, else ``python_object``.
        signature : ModelSignature or dict, optional
            The model's input/output schema (:func:`nbtrack.models.infer_signature`).

        Returns
        -------
        ModelInfo
            ``model_uri`` (``runs:/<run_id>/<artifact_path>``), ``run_id``, ``artifact_path``,
            ``flavor`` and ``registered_model_version`` (None unless registered).

        Raises
        ------
        InvalidParameterError
            If ``artifact_path`` is bad or taken, or the model cannot be pickled.
        RunNotFoundError, RunStateError
            If the run is missing or deleted.
        """
        path = _check_artifact_path(artifact_path)
        run = self.get_run(run_id)
        if _exists(self.list_artifacts, run.info.run_id, path):
            raise InvalidParameterError(
                f"Run {run.info.run_id} already has artifacts at {path!r}; log the model under "
                "another artifact_path"
            )
        with tempfile.TemporaryDirectory(prefix="nbtrack-model-") as tmp:
            manifest = save_model(
                model, Path(tmp) / "model", flavor=flavor, run_id=run.info.run_id,
                artifact_path=path, input_example=input_example, signature=signature,
            )
            self.log_artifacts(run.info.run_id, str(Path(tmp) / "model"), path)
        uri = f"runs:/{run.info.run_id}/{path}"
        version = None
        if registered_model_name is not None:
            version = self.register_model(uri, registered_model_name).version
        return ModelInfo(
            model_uri=uri, run_id=run.info.run_id, artifact_path=path, flavor=manifest["flavor"],
            utc_time_created=manifest["utc_time_created"], manifest=manifest,
            registered_model_version=version,
        )

    def load_model(self, model_uri: str, *, flavor: str | None = None) -> Any:
        """Load a logged model after checking the sha256 of every file against its manifest.

        Loading unpickles the model, which runs code chosen by whoever wrote it: only load
        models from a store you trust. The hashes catch files changed after logging, not a
        manifest forged along with them.

        Parameters
        ----------
        model_uri : str
            ``runs:/<run_id>/<path>``, ``models:/<name>/<version>``, ``models:/<name>/<stage>``
            (any case), ``models:/<name>/latest`` or ``models:/<name>@<alias>``.
        flavor : str, optional
            Refuse (before unpickling) a model of another flavor.

        Raises
        ------
        InvalidModelUriError
            If the URI is malformed.
        RunNotFoundError, RegisteredModelNotFoundError, ModelVersionNotFoundError
            If the run, model, version, stage or alias named by the URI does not exist.
        ArtifactNotFoundError
            If the run has no model at that path.
        ModelIntegrityError
            If a file of the model changed, went missing or was added after logging.
        """
        if not self._store_is_remote():
            return load_model_folder(self._model_folder(model_uri), expected_flavor=flavor)
        with tempfile.TemporaryDirectory(prefix="nbtrack-model-") as tmp:
            return load_model_folder(self._model_folder(model_uri, Path(tmp)), expected_flavor=flavor)

    def _model_folder(self, model_uri: str, download_to: Path | None = None) -> Path:
        """The model's local folder; on a server's store, its files downloaded into ``download_to``."""
        parsed = parse_model_uri(model_uri)
        if isinstance(parsed, RunsUri):
            if download_to is not None:
                return Path(self.download_artifacts(parsed.run_id, parsed.path, download_to))
            folder = _run_folder(self.get_run(parsed.run_id), parsed.path)
            if not folder.is_dir():
                raise ArtifactNotFoundError(
                    f"Model URI {model_uri!r}: run {parsed.run_id} has no artifact folder {parsed.path!r}"
                )
            return folder
        version = self._resolve_version(parsed)
        source = version.source
        if source.startswith("models:/") and source != model_uri:  # a copied version
            return self._model_folder(source, download_to)
        if download_to is not None and version.run_id:
            prefix = self.get_run(version.run_id).info.artifact_uri.rstrip("/") + "/"
            if source.startswith(prefix):
                return self._model_folder(f"runs:/{version.run_id}/{source[len(prefix):]}", download_to)
        return local_path(source)

    def _resolve_version(self, parsed: ModelsUri) -> ModelVersion:
        state = self._registry()
        if parsed.version is not None:
            return rs.get_model_version(state, parsed.name, parsed.version)
        if parsed.stage is not None:
            return rs.get_version_in_stage(state, parsed.name, parsed.stage)
        if parsed.alias is not None:
            return rs.get_version_by_alias(state, parsed.name, parsed.alias)
        return rs.get_highest_version(state, parsed.name)

    def register_model(
        self, model_uri: str, name: str, tags: Mapping[str, Any] | None = None
    ) -> ModelVersion:
        """Register the model at ``model_uri`` as a new version of ``name`` (created if missing).

        Parameters
        ----------
        model_uri : str
            ``runs:/<run_id>/<path>`` of a logged model, or a ``models:/`` URI (which registers
            the same files again, e.g. under another name).
        name : str
        tags : dict, optional
            Tags of the new version.

        Returns
        -------
        ModelVersion
            Status ``READY``: the files are already in place.
        """
        source, run_id = self._registered_source(model_uri)

        def apply(state: dict[str, Any]) -> ModelVersion:
            actor = rs.Actor.now()
            try:
                rs.create_registered_model(state, actor, name)
            except RegisteredModelAlreadyExistsError:
                pass
            return rs.create_model_version(state, actor, name, source, run_id, tags)

        return self._store.update_registry(apply)

    def _store_is_remote(self) -> bool:
        """True for an MLflow server's store, whose model files are not on this machine."""
        return getattr(self._store, "artifact_repository", None) is not None

    def _registered_source(self, model_uri: str) -> tuple[str, str | None]:
        """Artifact location and run id of the model a URI names; checks it is a logged model."""
        parsed = parse_model_uri(model_uri)
        if isinstance(parsed, ModelsUri):
            version = self._resolve_version(parsed)
            return version.source, version.run_id
        run = self.get_run(parsed.run_id)
        if not self._store_is_remote():
            _check_if_logged(_run_folder(run, parsed.path))
        return f"{run.info.artifact_uri.rstrip('/')}/{parsed.path}", run.info.run_id

    def _version_source(self, source: Any) -> tuple[str, str | None]:
        if isinstance(source, str) and source.startswith(("runs:/", "models:/")):
            return self._registered_source(source)
        if not isinstance(source, str) or not source:
            raise InvalidParameterError(f"Model version source must be a non-empty string, got {source!r}")
        if not self._store_is_remote():  # the tracking server checks sources in its own store
            try:
                folder = local_path(source)
            except InvalidParameterError:
                return source, None  # a URI of another scheme: registered as a reference
            _check_if_logged(folder)
        return source, None


def _check_if_logged(folder: Path) -> None:
    """A folder nbtrack logged a model into must pass the manifest check; any other source is
    registered as a reference to files nbtrack did not write (MLflow accepts any source)."""
    try:
        read_manifest(folder)
    except ArtifactNotFoundError:
        return


def _run_folder(run: Run, path: str) -> Path:
    """Local folder of ``path`` in the run's artifacts (ArtifactPathError if it escapes)."""
    return ArtifactRepository(local_path_from_uri(run.info.artifact_uri)).resolve(path)


def _check_artifact_path(artifact_path: Any) -> str:
    """A clean relative folder path: the model URI is built from it."""
    text = artifact_path.strip("/") if isinstance(artifact_path, str) else ""
    if not is_plain_relative_path(text):
        raise InvalidParameterError(
            f"artifact_path must be a plain relative folder path inside the run's artifacts, "
            f"like 'model' (no '.', '..' or '//'); got {artifact_path!r}"
        )
    return text


def _exists(list_artifacts: Callable[..., list[FileInfo]], run_id: str, path: str) -> bool:
    """True if ``path`` already holds artifacts (listing a missing path may return [] or raise)."""
    try:
        return bool(list_artifacts(run_id, path))
    except ArtifactNotFoundError:
        return False
