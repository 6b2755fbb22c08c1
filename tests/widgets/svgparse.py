"""Helpers for tests: find elements in HTML/SVG text with the stdlib parser (no regex on markup)."""
from __future__ import annotations

import re
from html.parser import HTMLParser


class _Collector(HTMLParser):
    def __init__(self, tag: str):
        super().__init__(convert_charrefs=True)
        self.tag = tag
        self.found: list[dict[str, str]] = []

    def handle_starttag(self, tag, attrs):
        if tag == self.tag:
            self.found.append({k: v or "" for k, v in attrs})

    handle_startendtag = handle_starttag


def elements(markup: str, tag: str, css_class: str | None = None) -> list[dict[str, str]]:
    """Attributes of every ``tag`` element (optionally only those with ``css_class``)."""
    parser = _Collector(tag)
    parser.feed(markup)
    if css_class is None:
        return parser.found
    return [a for a in parser.found if css_class in a.get("class", "").split()]


def path_points(d: str) -> list[tuple[float, float]]:
    """The (x, y) of each M/L command of an SVG path."""
    return [(float(x), float(y)) for x, y in re.findall(r"[ML]([-\d.]+),([-\d.]+)", d)]


def path_commands(d: str) -> str:
    """Just the command letters of a path, e.g. ``MLLML``."""
    return "".join(re.findall(r"[ML]", d))


class _Text(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None
        self._table_depth = 0

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self.rows:
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def table_rows(markup: str) -> list[list[str]]:
    """Text of every table row (header rows included), cells unescaped."""
    parser = _Text()
    parser.feed(markup)
    return parser.rows


def div_blocks(markup: str, css_class: str) -> list[str]:
    """Outer HTML of every ``<div>`` whose class list holds ``css_class`` (nesting-aware)."""
    blocks = []
    for start in (m.start() for m in re.finditer(r"<div\b[^>]*>", markup)):
        attrs = elements(markup[start:markup.index(">", start) + 1], "div")
        if not attrs or css_class not in attrs[0].get("class", "").split():
            continue
        depth = 0
        for tag in re.finditer(r"<(/?)div\b[^>]*>", markup[start:]):
            depth += -1 if tag.group(1) else 1
            if depth == 0:
                blocks.append(markup[start:start + tag.end()])
                break
    return blocks
