"""HTML of a :class:`nbtrack.provenance.diff.RunDiff`: the source diff highlighted, then tables of changes.

Pure (no ipywidgets): ``%track_diff`` shows it as ``text/html`` and the comparison panel's
"Diff" button puts it in an HTML widget. User text is escaped; added and removed lines are
tinted with translucent green and red so they read on light and dark themes alike.
"""
from __future__ import annotations

from typing import Any

from ..provenance.diff import Change, RunDiff
from .static import escape, html_table

__all__ = ["diff_html"]

_LINE_STYLES = {
    "+": "background:rgba(46,160,67,0.18);",
    "-": "background:rgba(248,81,73,0.18);",
    "@": "color:var(--jp-ui-font-color2);",
}


def _line_html(line: str) -> str:
    kind = "" if line.startswith(("+++", "---")) else line[:1]
    style = _LINE_STYLES.get(kind, "")
    cls = {"+": "nbtrack-added", "-": "nbtrack-removed"}.get(kind, "nbtrack-context")
    return f'<div class="{cls}" style="{style}white-space:pre;">{escape(line) or "&nbsp;"}</div>'


def _source_html(lines: list[str]) -> str:
    body = "".join(_line_html(line) for line in lines)
    return ('<div class="nbtrack-source-diff" style="font-family:monospace;font-size:12px;'
            f'overflow-x:auto;border:1px solid rgba(128,128,128,0.4);padding:4px;">{body}</div>')


def _delta(change: Change) -> Any:
    before, after = change.before, change.after
    if isinstance(before, float) and isinstance(after, float):
        return after - before
    return None


def _changes_html(title: str, changes: list[Change], with_delta: bool, labels: tuple[str, str]) -> str:
    headers = ["key", labels[0], labels[1], *(["change"] if with_delta else [])]
    rows = [[c.key, c.before, c.after, *([_delta(c)] if with_delta else [])] for c in changes]
    marks = {(r, c): "diff" for r in range(len(rows)) for c in (1, 2)}
    return f"<b>{escape(title)}</b>" + html_table(headers, rows, marks=marks, css_class="nbtrack-diff")


def diff_html(diff: RunDiff) -> str:
    """The whole diff as one HTML fragment (inline styles, no script)."""
    head = (f'<div class="nbtrack-diff-head" style="font-weight:bold;margin:2px 0;">'
            f"Diff of run {escape(diff.a)} &rarr; run {escape(diff.b)}</div>")
    if diff.identical:
        return head + '<div style="color:var(--jp-ui-font-color2);">no differences recorded</div>'
    parts = [head]
    if diff.source:
        parts.append("<b>Cell source</b>" + _source_html(diff.source))
    labels = (diff.a, diff.b)
    for title, changes, with_delta in (("Params", diff.params, False), ("Git", diff.git, False),
                                       ("Packages", diff.packages, False),
                                       ("Metrics that moved", diff.metrics, True)):
        if changes:
            parts.append(_changes_html(title, changes, with_delta, labels))
    return '<div class="nbtrack-run-diff">' + "".join(parts) + "</div>"
