"""What changed between two runs: cell source, params, git state, packages, metrics.

Pure: it compares two :class:`nbtrack.provenance.Provenance` records and returns a
:class:`RunDiff`, which renders itself as text; the HTML view lives with the panels
(:mod:`nbtrack.widgets.diff_html`). ``RunDiff.to_dict()`` is what the REST endpoint
(:mod:`nbtrack.server.diff_handlers`) sends as JSON.
"""
from __future__ import annotations

import difflib
import math
from dataclasses import asdict, dataclass, field
from typing import Any

from . import Provenance

__all__ = ["Change", "RunDiff", "diff_runs"]


@dataclass(frozen=True)
class Change:
    """One key whose value differs (None: absent on that side)."""

    key: str
    before: Any
    after: Any


@dataclass
class RunDiff:
    """Differences from run ``a`` to run ``b`` (each list empty when nothing changed)."""

    a: str  # "name (id prefix)" labels
    b: str
    a_id: str
    b_id: str
    source: list[str] = field(default_factory=list)  # unified diff lines, without newlines
    params: list[Change] = field(default_factory=list)
    git: list[Change] = field(default_factory=list)
    packages: list[Change] = field(default_factory=list)
    metrics: list[Change] = field(default_factory=list)

    @property
    def identical(self) -> bool:
        return not (self.source or self.params or self.git or self.packages or self.metrics)

    def to_dict(self) -> dict[str, Any]:
        """Plain data (lists and dicts); non-finite metric values stay floats for the encoder."""
        return asdict(self)

    def text(self) -> str:
        """Plain-text report: the unified source diff, then one line per changed key."""
        out = [f"Diff of run {self.a} -> run {self.b}"]
        if self.identical:
            return out[0] + ": no differences recorded"
        if self.source:
            out += ["", "Cell source:", *self.source]
        for title, changes in (("Params", self.params), ("Git", self.git),
                               ("Packages", self.packages), ("Metrics", self.metrics)):
            if changes:
                out += ["", f"{title}:"]
                out += [f"  {c.key}: {_show(c.before)} -> {_show(c.after)}" for c in changes]
        return "\n".join(out)


def _show(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def _changes(a: dict[str, Any], b: dict[str, Any]) -> list[Change]:
    """Keys whose values differ, in a's order then b's new keys (NaN equals NaN)."""
    keys = list(a) + [k for k in b if k not in a]
    return [Change(k, a.get(k), b.get(k)) for k in keys if not _same(a.get(k), b.get(k))]


def _same(x: Any, y: Any) -> bool:
    if isinstance(x, float) and isinstance(y, float) and math.isnan(x) and math.isnan(y):
        return True
    return bool(x == y)


def _source_diff(a: Provenance, b: Provenance) -> list[str]:
    lines = difflib.unified_diff(
        a.source.splitlines(), b.source.splitlines(),
        fromfile=f"run {a.label}", tofile=f"run {b.label}", lineterm="",
    )
    return list(lines)


def diff_runs(a: Provenance, b: Provenance) -> RunDiff:
    """Everything recorded that differs from run ``a`` to run ``b``."""
    git_a = {**a.git, **({"python": a.python} if a.python else {})}
    git_b = {**b.git, **({"python": b.python} if b.python else {})}
    return RunDiff(
        a=a.label, b=b.label, a_id=a.run.info.run_id, b_id=b.run.info.run_id,
        source=_source_diff(a, b),
        params=_changes(dict(a.run.data.params), dict(b.run.data.params)),
        git=_changes(git_a, git_b),
        packages=_changes(a.packages, b.packages),
        metrics=_changes(dict(a.run.data.metrics), dict(b.run.data.metrics)),
    )
