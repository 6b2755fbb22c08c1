"""The model registry as client methods: registered models, versions, stages, aliases, audit.

``TrackingClient`` inherits :class:`RegistryMixin`, built on :class:`~.models.ModelsMixin`
(logging, loading and registering models). The rules live in :mod:`nbtrack.registry.rules`
(pure functions on the registry dict); every change runs inside
``self._store.update_registry(fn)``, under the store's cross-process lock, so two kernels
promoting at once lose nothing, and every change appends an audit event (who, where, when,
before, after).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar

from .._validation import validate_max_results
from ..entities import AuditEvent, ModelVersion, RegisteredModel
from ..registry import rules as rs
from ..registry.models import ModelInfo
from ..search.paging import PagedList, page, query_hash
from ..search.schemas import (
    filter_model_versions,
    filter_registered_models,
    sort_model_versions,
    sort_registered_models,
)
from .models import ModelsMixin

__all__ = ["RegistryMixin", "ModelInfo", "STAGES"]

T = TypeVar("T")
STAGES = rs.STAGES
SEARCH_MODELS_MAX_RESULTS_DEFAULT = 100
SEARCH_VERSIONS_MAX_RESULTS_DEFAULT = 10_000

class RegistryMixin(ModelsMixin):
    """Registry methods of :class:`nbtrack.TrackingClient` (MLflow ``MlflowClient`` names)."""

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
