"""The model registry as client methods: log, register, version, promote, alias and load models.

``TrackingClient`` inherits :class:`RegistryMixin`. The rules live in :mod:`nbtrack.registry.rules` (pure
functions on the registry dict); every change runs inside ``self._store.update_registry(fn)``,
under the store's cross-process lock, so two kernels promoting at once lose nothing, and every
change appends an audit event (who, where, when, before, after).

Loading a model unpickles it, which runs code chosen by whoever wrote the file: only load models
from a store you trust.
"""
from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from .._validation import is_plain_relative_path, validate_max_results
from ..artifacts import ArtifactRepository, local_path_from_uri
from ..entities import AuditEvent, FileInfo, ModelVersion, RegisteredModel, Run
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
from ..search.paging import PagedList, page, query_hash
from ..search.schemas import (
    filter_model_versions,
    filter_registered_models,
    sort_model_versions,
    sort_registered_models,
)
from .artifacts import ArtifactsMixin

__all__ = ["RegistryMixin", "ModelInfo", "STAGES"]

T = TypeVar("T")
STAGES = rs.STAGES
SEARCH_MODELS_MAX_RESULTS_DEFAULT = 100
SEARCH_VERSIONS_MAX_RESULTS_DEFAULT = 10_000


class RegistryMixin(ArtifactsMixin):
    """Registry methods of :class:`nbtrack.TrackingClient` (MLflow ``MlflowClient`` names).

    Builds on the artifact verbs: a logged model is a folder of run artifacts.
    """

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
        return load_model_folder(self._model_folder(model_uri), expected_flavor=flavor)

    def _model_folder(self, model_uri: str) -> Path:
        parsed = parse_model_uri(model_uri)
        if isinstance(parsed, RunsUri):
            folder = _run_folder(self.get_run(parsed.run_id), parsed.path)
            if not folder.is_dir():
                raise ArtifactNotFoundError(
                    f"Model URI {model_uri!r}: run {parsed.run_id} has no artifact folder {parsed.path!r}"
                )
            return folder
        source = self._resolve_version(parsed).source
        if source.startswith("models:/") and source != model_uri:  # a copied version
            return self._model_folder(source)
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

    # -- registered models ---------------------------------------------------------------
    def create_registered_model(
        self, name: str, tags: Mapping[str, Any] | None = None, description: str | None = None
    ) -> RegisteredModel:
        """Create an empty registered model.

        Raises
        ------
        RegisteredModelAlreadyExistsError
            If the name is taken.
        """
        return self._change(rs.create_registered_model, name, tags, description)

    def get_registered_model(self, name: str) -> RegisteredModel:
        """Return a registered model; ``latest_versions`` holds the highest version per stage.

        Raises
        ------
        RegisteredModelNotFoundError
        """
        return rs.get_registered_model(self._registry(), name)

    def search_registered_models(
        self,
        filter_string: str | None = None,
        max_results: int = SEARCH_MODELS_MAX_RESULTS_DEFAULT,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList:
        """Registered models matching a filter, sorted (default ``name ASC``).

        Parameters
        ----------
        filter_string : str, optional
            The runs' grammar over ``name``, ``creation_timestamp``,
            ``last_updated_timestamp`` and ``tags.<key>``: ``name LIKE 'iris%' OR
            (tags.team = 'ml' AND name != 'x')``. A model without the tag never matches.
        max_results : int
        order_by : list of str, optional
            ``name``, ``creation_timestamp`` or ``last_updated_timestamp``, each ``ASC``/``DESC``.
        page_token : str, optional
            ``token`` of the previous page.

        Raises
        ------
        InvalidFilterError
            If the filter or order_by cannot be parsed.
        """
        max_results = validate_max_results(max_results)
        found = sort_registered_models(
            filter_registered_models(rs.iter_registered_models(self._registry()), filter_string),
            order_by,
        )
        return page(found, max_results, page_token, query_hash("models", filter_string, order_by))

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        """Rename a model; versions and audit trail follow it.

        Raises
        ------
        RegisteredModelNotFoundError, RegisteredModelAlreadyExistsError
        """
        return self._change(rs.rename_registered_model, name, new_name)

    def update_registered_model(self, name: str, description: str) -> RegisteredModel:
        """Replace a registered model's description."""
        return self._change(rs.update_registered_model, name, description)

    def delete_registered_model(self, name: str) -> None:
        """Delete a registered model and all its versions (the run artifacts stay)."""
        self._change(rs.delete_registered_model, name)

    def set_registered_model_tag(self, name: str, key: str, value: Any) -> None:
        """Set a tag on a registered model."""
        self._change(rs.set_registered_model_tag, name, key, value)

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        """Remove a tag from a registered model (InvalidParameterError if it has none)."""
        self._change(rs.delete_registered_model_tag, name, key)

    # -- versions ------------------------------------------------------------------------
    def create_model_version(
        self,
        name: str,
        source: str,
        run_id: str | None = None,
        tags: Mapping[str, Any] | None = None,
        description: str | None = None,
    ) -> ModelVersion:
        """Add a version to an existing registered model.

        Parameters
        ----------
        name : str
        source : str
            A ``runs:/`` or ``models:/`` URI, or a local model folder (path or ``file://`` URI).
        run_id : str, optional
            The run that produced it (taken from a ``runs:/`` source when omitted).
        tags : dict, optional
        description : str, optional

        Returns
        -------
        ModelVersion
            Numbered one past the highest number ever used; status ``READY``.

        Raises
        ------
        RegisteredModelNotFoundError
            If the model does not exist (``register_model`` creates it).
        ArtifactNotFoundError
            If the source has no logged model.
        """
        location, source_run = self._version_source(source)
        if run_id is not None:
            run_id = self.get_run(run_id).info.run_id
        return self._change(rs.create_model_version, name, location, run_id or source_run, tags, description)

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

    def get_model_version(self, name: str, version: int | str) -> ModelVersion:
        """Return one version (``version`` as int or numeric string).

        Raises
        ------
        RegisteredModelNotFoundError, ModelVersionNotFoundError
        """
        return rs.get_model_version(self._registry(), name, version)

    def update_model_version(self, name: str, version: int | str, description: str) -> ModelVersion:
        """Replace a version's description."""
        return self._change(rs.update_model_version, name, version, description)

    def delete_model_version(self, name: str, version: int | str) -> None:
        """Delete a version and its aliases; its number is never handed out again."""
        self._change(rs.delete_model_version, name, version)

    def set_model_version_tag(self, name: str, version: int | str, key: str, value: Any) -> None:
        """Set a tag on a model version."""
        self._change(rs.set_model_version_tag, name, version, key, value)

    def delete_model_version_tag(self, name: str, version: int | str, key: str) -> None:
        """Remove a tag from a model version (InvalidParameterError if it has none)."""
        self._change(rs.delete_model_version_tag, name, version, key)

    def search_model_versions(
        self,
        filter_string: str | None = None,
        max_results: int = SEARCH_VERSIONS_MAX_RESULTS_DEFAULT,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList:
        """Model versions matching a filter, sorted (default newest first, as in MLflow).

        Parameters
        ----------
        filter_string : str, optional
            The runs' grammar over ``name``, ``run_id``, ``source_path``, ``current_stage``,
            ``status``, ``version_number`` and the timestamps (numbers) and ``tags.<key>``,
            e.g. ``"name = 'iris' AND (run_id IN ('a1', 'b2') OR version_number > 3)"``.
        max_results : int
        order_by : list of str, optional
            ``name``, ``version_number``, ``creation_timestamp``, ``last_updated_timestamp``.
        page_token : str, optional
        """
        max_results = validate_max_results(max_results)
        found = sort_model_versions(
            filter_model_versions(rs.iter_model_versions(self._registry()), filter_string),
            order_by or _VERSION_ORDER_DEFAULT,
        )
        return page(found, max_results, page_token, query_hash("versions", filter_string, order_by))

    def get_model_version_download_uri(self, name: str, version: int | str) -> str:
        """Where the version's files are (its ``source``)."""
        return self.get_model_version(name, version).source

    # -- stages --------------------------------------------------------------------------
    def transition_model_version_stage(
        self, name: str, version: int | str, stage: str, archive_existing_versions: bool = False
    ) -> ModelVersion:
        """Move a version to ``None``, ``Staging``, ``Production`` or ``Archived`` (any case).

        Parameters
        ----------
        name : str
        version : int or str
        stage : str
        archive_existing_versions : bool
            Only with Staging/Production: move the other versions in that stage to Archived.

        Raises
        ------
        InvalidParameterError
            For another stage name, or the flag with None/Archived.
        """
        return self._change(rs.transition_stage, name, version, stage, archive_existing_versions)

    def get_latest_versions(
        self, name: str, stages: Iterable[str] | None = None
    ) -> list[ModelVersion]:
        """Highest version in each of ``stages`` (every stage when None), as in MLflow."""
        return rs.get_latest_versions(self._registry(), name, stages)

    # -- aliases -------------------------------------------------------------------------
    def set_registered_model_alias(self, name: str, alias: str, version: int | str) -> None:
        """Point ``alias`` at ``version`` (moving it from another version if needed).

        Raises
        ------
        InvalidParameterError
            If the alias is not ``^[\\w\\-]+$``, is over 255 characters, or is reserved
            (``latest``, ``v<number>``).
        """
        self._change(rs.set_alias, name, alias, version)

    def delete_registered_model_alias(self, name: str, alias: str) -> None:
        """Remove an alias (no-op if the model has no such alias, as in MLflow)."""
        self._change(rs.delete_alias, name, alias)

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        """Return the version an alias points at.

        Raises
        ------
        ModelVersionNotFoundError
            If the model has no such alias.
        """
        return rs.get_version_by_alias(self._registry(), name, alias)

    # -- audit ---------------------------------------------------------------------------
    def get_registry_audit(self, name: str, version: int | str | None = None) -> list[AuditEvent]:
        """Every recorded change of a model (or one version), oldest first.

        Events: ``create_registered_model``, ``create_model_version``,
        ``transition_model_version_stage``, ``set_registered_model_alias`` (``before`` holds the
        version an alias moved from), ``delete_registered_model_alias``, ``delete_model_version``,
        ``rename_registered_model``, ``delete_registered_model``, description and tag updates.
        A deleted model's trail stays readable.
        """
        return rs.get_audit(self._registry(), name, version)


# MLflow's default order: most recently updated first, then name, then highest version.
_VERSION_ORDER_DEFAULT = ["last_updated_timestamp DESC", "name ASC", "version_number DESC"]


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
