"""REST handlers for the model registry: models, versions, stage moves, aliases, audit trail."""
from __future__ import annotations

from typing import Any

import tornado.web

from ..errors import InvalidParameterError
from ..registry.audit_text import describe_change
from ..registry.checks import STAGES, canonical_stage, coerce_version
from .base import NbtrackHandler
from .serialize import to_jsonable

__all__ = ["ROUTES"]


def _version_number(raw: Any, where: str) -> int:
    try:
        return coerce_version(raw)
    except InvalidParameterError:
        raise InvalidParameterError(f"{where} {raw!r} must be a positive integer model version") from None


def _stage(raw: Any) -> str:
    try:
        return canonical_stage(raw)
    except InvalidParameterError:
        raise InvalidParameterError(f"Body field stage={raw!r} must be one of {', '.join(STAGES)}") from None


def _versions_filter(name: str) -> str:
    """A filter string selecting every version of ``name`` (quotes chosen to avoid escaping)."""
    if "'" not in name:
        return f"name = '{name}'"
    if '"' not in name:
        return f'name = "{name}"'
    raise InvalidParameterError(
        f"Model name {name!r} contains both quote characters; the registry filter cannot express it"
    )


def _model_detail(client: Any, name: str) -> dict[str, Any]:
    model = client.get_registered_model(name)
    versions = client.search_model_versions(_versions_filter(name))
    versions = sorted(versions, key=lambda v: int(v.version), reverse=True)
    audit = [{**to_jsonable(e), "summary": describe_change(e.before, e.after)}
             for e in client.get_registry_audit(name)]
    return {"model": model, "versions": versions, "audit": audit}


class ModelsHandler(NbtrackHandler):
    """GET models?filter=&max_results= -> {"models": [RegisteredModel]}"""

    @tornado.web.authenticated
    async def get(self) -> None:
        query = {
            "filter_string": self.get_argument("filter", "") or None,
            "max_results": self.int_argument("max_results", 100, 1, 1000),
        }
        models = await self.call(lambda c: list(c.search_registered_models(**query)))
        self.reply({"models": models})


class ModelHandler(NbtrackHandler):
    """GET models/<name> -> {"model", "versions" (newest first), "audit": [AuditEvent + "summary"]}"""

    @tornado.web.authenticated
    async def get(self, name: str) -> None:
        self.reply(await self.call(_model_detail, name))


class StageHandler(NbtrackHandler):
    """POST models/<name>/versions/<v>/stage {"stage", "archive_existing_versions"}
    -> {"model_version": ModelVersion}"""

    @tornado.web.authenticated
    async def post(self, name: str, version: str) -> None:
        number = _version_number(version, "Version")
        body = self.json_body()
        stage = _stage(body.get("stage"))
        archive = body.get("archive_existing_versions", False)
        if not isinstance(archive, bool):
            raise InvalidParameterError(
                f"Body field archive_existing_versions={archive!r} must be true or false"
            )
        moved = await self.call(
            lambda c: c.transition_model_version_stage(name, number, stage, archive)
        )
        self.reply({"model_version": moved})


class AliasHandler(NbtrackHandler):
    """POST models/<name>/aliases/<alias> {"version"} sets it; DELETE removes it.
    Both -> {"model": RegisteredModel}"""

    @tornado.web.authenticated
    async def post(self, name: str, alias: str) -> None:
        number = _version_number(self.json_body().get("version"), "Body field version")

        def move(client: Any) -> Any:
            client.set_registered_model_alias(name, alias, number)
            return client.get_registered_model(name)

        self.reply({"model": await self.call(move)})

    @tornado.web.authenticated
    async def delete(self, name: str, alias: str) -> None:
        def drop(client: Any) -> Any:
            client.delete_registered_model_alias(name, alias)
            return client.get_registered_model(name)

        self.reply({"model": await self.call(drop)})


ROUTES: list[tuple[str, type[NbtrackHandler]]] = [
    (r"models", ModelsHandler),
    (r"models/(?P<name>[^/]+)", ModelHandler),
    (r"models/(?P<name>[^/]+)/versions/(?P<version>[^/]+)/stage", StageHandler),
    (r"models/(?P<name>[^/]+)/aliases/(?P<alias>[^/]+)", AliasHandler),
]
