"""RegistryPanel: registered models, their versions, and promotion buttons with an audit trail.

Each button is one client call (``transition_model_version_stage`` or
``set_registered_model_alias``), which the registry applies atomically under the store lock:
an action that fails shows its error in the panel and leaves the registry as it was.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as w
from traitlets import Int, Unicode

from ..client import TrackingClient
from ..entities import ModelVersion
from ..errors import InvalidParameterError, RegisteredModelNotFoundError
from ..registry import audit_text
from ..search.paging import all_pages
from ._base import PanelBase, guarded, resolve_client
from .static import Markup, escape, format_timestamp, html_table, short_id, status_badge

__all__ = ["RegistryPanel"]

MAX_AUDIT_ROWS = 100
_STAGE_MARKS = {"Production": "best", "Staging": "diff", "Archived": "muted"}


def short_source(source: str | None) -> Markup:
    """The short path of a model source, the full source in the title."""
    text = source or ""
    return Markup(f'<span title="{escape(text)}">{escape(audit_text.short_path(text))}</span>')


def describe_change(before: Any, after: Any) -> Markup:
    """What an audit event changed, readably (see :func:`nbtrack.registry.audit_text.describe_change`)."""
    return Markup(escape(audit_text.describe_change(before, after)))


class RegistryPanel(PanelBase):
    """Versions of one registered model with stage/alias actions and the model's audit trail."""

    model_name = Unicode("", allow_none=True, help="Registered model shown.")
    version = Int(None, allow_none=True, help="Version the buttons act on.")

    def __init__(self, client: TrackingClient | None = None, model: str | None = None):
        super().__init__()
        self._client = resolve_client(client)
        self.versions: list[ModelVersion] = []
        self.model_picker = w.Dropdown(description="Model", options=[])
        self.version_picker = w.Dropdown(description="Version", options=[])
        self.refresh_button = w.Button(description="Refresh", icon="refresh")
        fit = w.Layout(width="auto")  # labels are never cut: browser tests click them by text
        # neutral buttons: JupyterLab's success/warning styles put white text on light fills
        self.staging_button = w.Button(description="Promote to Staging", layout=fit)
        self.production_button = w.Button(description="Promote to Production", layout=fit)
        self.archive_existing = w.Checkbox(value=False, description="archive existing", indent=False,
                                           layout=fit)
        self.archive_button = w.Button(description="Archive", layout=fit)
        self.alias_box = w.Text(placeholder="alias, e.g. champion", layout=w.Layout(width="180px"))
        self.alias_button = w.Button(description="Set alias", layout=fit)
        self.versions_table = w.HTML(value="")
        self.audit_table = w.HTML(value="")
        w.link((self.model_picker, "value"), (self, "model_name"))
        w.link((self.version_picker, "value"), (self, "version"))
        self.observe(self._on_model, "model_name")
        self.refresh_button.on_click(self._on_refresh)
        self.staging_button.on_click(self._on_staging)
        self.production_button.on_click(self._on_production)
        self.archive_button.on_click(self._on_archive)
        self.alias_button.on_click(self._on_alias)
        self._set_body(
            w.HBox([self.model_picker, self.version_picker, self.refresh_button]),
            w.HBox([self.staging_button, self.production_button, self.archive_existing,
                    self.archive_button]),
            w.HBox([self.alias_box, self.alias_button]),
            w.HTML(value="<b>Versions</b>"), self.versions_table,
            w.HTML(value="<b>Audit trail</b> (newest first)"), self.audit_table,
        )
        self._load_models(model)

    # -- loading -----------------------------------------------------------------------------
    def _model_names(self) -> list[str]:
        return [m.name for m in all_pages(self._client.search_registered_models, max_results=1000)]

    def _load_models(self, wanted: str | None) -> None:
        names = self._model_names()
        if wanted is not None and wanted not in names:
            self._client.get_registered_model(wanted)  # raises RegisteredModelNotFoundError
        keep = wanted if wanted is not None else self.model_name
        self.model_picker.options = names
        self.model_picker.value = keep if keep in names else (names[0] if names else None)
        if not names:
            self.show_message("No registered models yet: register one with nbtrack.register_model().")
        self.render()

    def _load_versions(self) -> list[ModelVersion]:
        if not self.model_name:
            return []
        found = self._client.search_model_versions(max_results=50_000)
        return sorted((mv for mv in found if mv.name == self.model_name),
                      key=lambda mv: mv.version, reverse=True)

    # -- rendering ---------------------------------------------------------------------------
    def render(self) -> None:
        """Reload the versions and the audit trail of the selected model."""
        self.versions = self._load_versions()
        keep = self.version
        options = [(f"v{mv.version} ({mv.current_stage})", mv.version) for mv in self.versions]
        self.version_picker.options = options
        values = [value for _, value in options]
        self.version_picker.value = keep if keep in values else (values[0] if values else None)
        self.versions_table.value = self._versions_html()
        self.audit_table.value = self._audit_html()
        has_version = self.version is not None
        for button in (self.staging_button, self.production_button, self.archive_button,
                       self.alias_button):
            button.disabled = not has_version
        self.mark_changed()

    def _versions_html(self) -> str:
        if not self.versions:
            return '<div style="color:var(--jp-ui-font-color2);">no versions</div>'
        rows = [[mv.version, mv.current_stage, ", ".join(mv.aliases),
                 short_id(mv.run_id) if mv.run_id else "", short_source(mv.source),
                 status_badge(mv.status), format_timestamp(mv.last_updated_timestamp)]
                for mv in self.versions]
        marks = {i: _STAGE_MARKS[mv.current_stage] for i, mv in enumerate(self.versions)
                 if mv.current_stage in _STAGE_MARKS}
        return html_table(["version", "stage", "aliases", "run id", "source", "status", "updated"],
                          rows, row_marks=marks, css_class="nbtrack-versions")

    def _audit_html(self) -> str:
        if not self.model_name:
            return ""
        try:
            events = self._client.get_registry_audit(self.model_name)
        except RegisteredModelNotFoundError:
            events = []
        rows = [[format_timestamp(e.timestamp), e.user, e.action, "" if e.version is None else e.version,
                 describe_change(e.before, e.after)]
                for e in reversed(events[-MAX_AUDIT_ROWS:])]
        return html_table(["when", "who", "action", "version", "change"], rows,
                          css_class="nbtrack-audit")

    # -- actions -----------------------------------------------------------------------------
    def _act(self, action: Callable[[str, int], Any], done: Callable[[str, int], str]) -> None:
        """Run one registry call on the selected version, then redraw and say what happened."""
        if not self.model_name or self.version is None:
            raise InvalidParameterError("Select a registered model and a version first")
        name, version = self.model_name, self.version
        action(name, version)
        self.render()
        self.show_message(done(name, version))

    def _transition(self, stage: str, archive_existing: bool = False) -> None:
        self._act(
            lambda n, v: self._client.transition_model_version_stage(n, v, stage, archive_existing),
            lambda n, v: f"Version {v} of {n} is now in {stage}"
            + (" (other versions in it archived)" if archive_existing else ""),
        )

    @guarded
    def _on_staging(self, _: Any = None) -> None:
        self._transition("Staging", self.archive_existing.value)

    @guarded
    def _on_production(self, _: Any = None) -> None:
        self._transition("Production", self.archive_existing.value)

    @guarded
    def _on_archive(self, _: Any = None) -> None:
        self._transition("Archived")

    @guarded
    def _on_alias(self, _: Any = None) -> None:
        alias = self.alias_box.value.strip()
        self._act(lambda n, v: self._client.set_registered_model_alias(n, alias, v),
                  lambda n, v: f"Alias {alias} now points at version {v} of {n}")

    @guarded
    def _on_refresh(self, _: Any = None) -> None:
        self._load_models(None)

    @guarded
    def _on_model(self, _: dict[str, Any]) -> None:
        self.version = None
        self.render()

    # -- static twin -------------------------------------------------------------------------
    def _title(self) -> str:
        return f"Registered model {self.model_name or ''}"

    def static_html(self) -> str:
        return ("<b>Versions</b>" + self.versions_table.value
                + "<b>Audit trail</b>" + self.audit_table.value)
