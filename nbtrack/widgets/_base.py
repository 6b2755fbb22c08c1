"""What every panel shares: the static twin, guarded callbacks, the status line.

Displaying a panel emits two outputs: the live widget (``application/vnd.jupyter.widget-view+json``)
and its *static twin* (``text/html``, charts as inline SVG, plus ``image/svg+xml`` when the
panel is a chart), kept current with ``update_display`` after each action and at the end of
every cell. The twin is a separate output because nbconvert's HTML exporter always prefers the
widget view of a bundle once the notebook stores widget state (nbconvert --execute stores it),
and would drop a ``text/html`` sitting beside it. The widget carries a CSS rule that hides its
twin, so wherever the widget renders the twin disappears, and where it cannot (an exported HTML
page read offline) the twin is what shows.
"""
from __future__ import annotations

import functools
import logging
import uuid
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

import ipywidgets as w
from IPython.display import display, update_display

from ..client import TrackingClient
from .static import error_html, hide_twin_css, message_html, twin_html

__all__ = ["PanelBase", "guarded", "resolve_client"]

log = logging.getLogger("nbtrack.widgets")

F = TypeVar("F", bound=Callable[..., Any])

#: Shown panels whose twin must be refreshed when the current cell ends.
_PENDING: weakref.WeakSet[PanelBase] = weakref.WeakSet()
#: The shell our one-shot post_run_cell hook is registered on (None: not registered).
_hooked_shell: Any = None


def resolve_client(client: TrackingClient | None) -> TrackingClient:
    """The given client, or one on the current tracking URI."""
    if client is None:
        return TrackingClient()
    if not isinstance(client, TrackingClient):
        from ..errors import InvalidParameterError

        raise InvalidParameterError(
            f"client must be an nbtrack.TrackingClient or None, got {type(client).__name__}"
        )
    return client


def guarded(method: F) -> F:
    """Wrap a panel callback: errors are logged and shown in the panel, never raised.

    A widget callback that raises leaves the front end with nothing but a console message;
    this keeps the panel usable and says what went wrong where the user is looking.
    """

    @functools.wraps(method)
    def wrapper(self: PanelBase, *args: Any, **kwargs: Any) -> Any:
        self._callback_depth += 1
        try:
            return method(self, *args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - a panel callback must not break the panel
            log.exception("nbtrack panel %s: %s failed", type(self).__name__, method.__name__)
            self.show_error(exc)
            return None
        finally:
            self._callback_depth -= 1
            if self._callback_depth == 0:  # callbacks nest (trait links): publish once, at the end
                self.refresh_twin()

    return wrapper  # type: ignore[return-value]


def _unhook() -> None:
    global _hooked_shell
    if _hooked_shell is not None:
        try:
            _hooked_shell.events.unregister("post_run_cell", _on_post_run_cell)
        except ValueError:  # already gone (the shell was reset)
            pass
        _hooked_shell = None


def _on_post_run_cell(*_: Any) -> None:
    """One-shot end-of-cell hook: refresh the twins that changed, then unregister.

    The hook exists only while some twin is out of date, so shells (and tests that check the
    registered callbacks) are left as they were once every panel is current.
    """
    panels = list(_PENDING)
    _PENDING.clear()
    _unhook()
    for panel in panels:
        try:
            panel._cell_finished()
        except Exception:  # noqa: BLE001 - a hook error would be shown after every cell
            log.exception("nbtrack panel %s: end-of-cell refresh failed", type(panel).__name__)


def _schedule_refresh(panel: PanelBase) -> None:
    """Refresh ``panel``'s twin when the running cell ends."""
    global _hooked_shell
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None:
        return
    _PENDING.add(panel)
    if _hooked_shell is not shell:
        _unhook()
        shell.events.register("post_run_cell", _on_post_run_cell)
        _hooked_shell = shell


def _unschedule_refresh(panel: PanelBase) -> None:
    _PENDING.discard(panel)
    if not _PENDING:
        _unhook()


def _held_widgets(root: w.Widget) -> list[w.Widget]:
    """``root`` and every widget it holds, directly or through the widgets it holds.

    Held means kept in a trait (children, layout, style, a figure's marks and axes) or in a
    plain attribute, also inside lists, tuples, sets and dict values. A panel holds only the
    widgets it made, so these are the widgets to close with it.
    """
    found: dict[int, w.Widget] = {}
    todo: list[Any] = [root]
    while todo:
        item = todo.pop()
        if isinstance(item, w.Widget):
            if id(item) not in found:
                found[id(item)] = item
                todo.extend(vars(item).values())  # trait values live in ``_trait_values``
        elif isinstance(item, (list, tuple, set, frozenset)):
            todo.extend(item)
        elif isinstance(item, dict):
            todo.extend(item.values())
    return list(found.values())


def _closing_on_failure(init: Callable[..., None]) -> Callable[..., None]:
    """``init`` that closes the panel (and every widget it made) if it raises.

    Each widget registers itself with the kernel's widget manager as it is made, so a
    constructor refusing its arguments half-way would otherwise leave a half-built panel
    registered for as long as the kernel lives.
    """
    @functools.wraps(init)
    def build(self: PanelBase, *args: Any, **kwargs: Any) -> None:
        try:
            init(self, *args, **kwargs)
        except BaseException:
            self.close()
            raise

    return build


class PanelBase(w.VBox):
    """A VBox that shows a status line and publishes a static twin of itself.

    Subclasses call :meth:`_set_body` once with their widgets, implement
    :meth:`static_html` (and :meth:`static_svg` for charts), and call :meth:`mark_changed`
    whenever what the twin shows has changed. A subclass constructor that raises leaves
    nothing behind: the panel and the widgets it made are closed before the error goes on.
    """

    _display_id: str | None = None
    _twin_stale = True
    _callback_depth = 0

    def __init_subclass__(cls, **kwargs: Any):
        super().__init_subclass__(**kwargs)
        if "__init__" in cls.__dict__:
            cls.__init__ = _closing_on_failure(cls.__dict__["__init__"])  # type: ignore[method-assign]

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.status = w.HTML(value="")
        self._uid = uuid.uuid4().hex[:12]
        self._hider = w.HTML(value=hide_twin_css(self._uid), layout=w.Layout(display="none"))
        self._display_id: str | None = None
        self._twin_stale = True

    def close(self) -> None:
        """Close the panel and every widget it holds, and stop refreshing its twin."""
        _unschedule_refresh(self)
        for widget in _held_widgets(self):
            if widget is not self:
                widget.close()
        super().close()

    # -- layout and messages -------------------------------------------------------------
    def _set_body(self, *children: w.Widget) -> None:
        self.children = (self._hider, *children, self.status)

    def show_error(self, exc: BaseException | str) -> None:
        """Show an (escaped) error in the panel's status line."""
        text = exc if isinstance(exc, str) else f"{type(exc).__name__}: {exc}"
        self.status.value = error_html(text)
        self.mark_changed()

    def show_message(self, text: str) -> None:
        """Show an (escaped) neutral message in the status line."""
        self.status.value = message_html(text) if text else ""
        self.mark_changed()

    # -- static twin ----------------------------------------------------------------------
    def static_html(self) -> str:
        """HTML of the panel's current state (escaped, inline styles, no script)."""
        raise NotImplementedError

    def static_svg(self) -> str | None:
        """One SVG document of the panel's charts, or None if it has none."""
        return None

    def _title(self) -> str:
        return ""

    def twin_bundle(self) -> dict[str, str]:
        """MIME bundle of the static twin: ``text/html``, ``text/plain``, maybe ``image/svg+xml``."""
        bundle = {
            "text/html": twin_html(self._uid, self.static_html() + self._status_html(), self._title()),
            "text/plain": f"<{type(self).__name__}: static view>",
        }
        svg = self.static_svg()
        if svg:
            bundle["image/svg+xml"] = svg
        return bundle

    def _status_html(self) -> str:
        return self.status.value or ""

    def mark_changed(self) -> None:
        """Note that the twin no longer matches the panel (it is refreshed at cell end)."""
        self._twin_stale = True
        if self._display_id is not None:
            _schedule_refresh(self)

    def refresh_twin(self, force: bool = False) -> None:
        """Re-publish the twin if the panel is shown and changed since the last publish."""
        if self._display_id is None:
            return
        _unschedule_refresh(self)
        if not (self._twin_stale or force):
            return
        self._twin_stale = False
        update_display(self.twin_bundle(), raw=True, display_id=self._display_id)

    def _cell_finished(self) -> None:
        """End-of-cell hook (post_run_cell): bring the twin up to date."""
        self.refresh_twin()

    # -- display ----------------------------------------------------------------------------
    def _ipython_display_(self) -> None:
        display(w.VBox._repr_mimebundle_(self), raw=True)
        self._display_id = self._display_id or f"nbtrack-{self._uid}"
        self._twin_stale = False
        display(self.twin_bundle(), raw=True, display_id=self._display_id)

    def show(self) -> None:
        """Display the panel (widget and static twin) in the current output."""
        self._ipython_display_()
