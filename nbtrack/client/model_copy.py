"""``copy_model_version``: a version of one registered model registered again under another name."""
from __future__ import annotations

from typing import Any

from ..entities import ModelVersion
from ..errors import InvalidModelUriError, RegisteredModelAlreadyExistsError
from ..registry import rules as rs
from ..registry.models import ModelsUri, parse_model_uri
from .registry import RegistryMixin

__all__ = ["ModelCopyMixin"]


class ModelCopyMixin(RegistryMixin):
    """Copying versions between registered models (MLflow ``MlflowClient.copy_model_version``)."""

    def copy_model_version(self, src_model_uri: str, dst_name: str) -> ModelVersion:
        """Register the version ``src_model_uri`` names as a new version of ``dst_name``.

        As in MLflow, ``dst_name`` is created if missing, and the copy's source is
        ``models:/<name>/<version>`` of the original (loading it follows that reference), with
        the original's run id, tags and description.

        Parameters
        ----------
        src_model_uri : str
            ``models:/<name>/<version>``, ``models:/<name>/<stage>`` or ``models:/<name>@<alias>``.
        dst_name : str

        Raises
        ------
        InvalidModelUriError
            If ``src_model_uri`` is not a ``models:/`` URI.
        RegisteredModelNotFoundError, ModelVersionNotFoundError
            If the source version does not exist.
        """
        parsed = parse_model_uri(src_model_uri)
        if not isinstance(parsed, ModelsUri):
            raise InvalidModelUriError(
                f"copy_model_version needs a models:/ URI of a registered version, got {src_model_uri!r}"
            )
        src = self._resolve_version(parsed)

        def apply(state: dict[str, Any]) -> ModelVersion:
            actor = rs.Actor.now()
            try:
                rs.create_registered_model(state, actor, dst_name)
            except RegisteredModelAlreadyExistsError:
                pass
            return rs.create_model_version(
                state, actor, dst_name, f"models:/{src.name}/{src.version}", src.run_id,
                dict(src.tags), src.description,
            )

        return self._store.update_registry(apply)
