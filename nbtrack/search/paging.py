"""Result pages for searches: a list with a ``token`` for the next page.

A token is opaque to callers: base64 of a small JSON object holding the next offset and a hash
of the query it belongs to, so a token passed with a different query is rejected instead of
silently returning the wrong rows.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

from ..errors import InvalidParameterError

__all__ = ["PagedList", "query_hash", "page", "page_bounds", "all_pages"]

T = TypeVar("T")


class PagedList(list):
    """A list of results plus ``token``: pass it as ``page_token`` to get the next page (None: last)."""

    def __init__(self, items: Iterable[Any] = (), token: str | None = None):
        super().__init__(items)
        self.token = token

    def __repr__(self) -> str:
        return f"PagedList({list.__repr__(self)}, token={self.token!r})"

    def to_list(self) -> list[Any]:
        """The items as a plain list (MLflow's ``PagedList.to_list``)."""
        return list(self)


def all_pages(fetch: Callable[..., Any], **kwargs: Any) -> Iterator[Any]:
    """Every item of a paged search: ``fetch(page_token=..., **kwargs)`` until a page has no token.

    Works with any result that is iterable and has ``.token`` (ours and MLflow's ``PagedList``).
    """
    token = None
    while True:
        batch = fetch(page_token=token, **kwargs)
        yield from batch
        token = getattr(batch, "token", None)
        if not token:
            return


def collect_pages(fetch: Callable[[int, str | None], Any], max_results: int | None, page_size: int) -> list[Any]:
    """Items of a paged search, at most ``max_results`` (every item when None).

    ``fetch(size, page_token)`` returns one page of at most ``size`` items with a ``.token``.
    """
    found: list[Any] = []
    token = None
    while max_results is None or len(found) < max_results:
        size = page_size if max_results is None else min(page_size, max_results - len(found))
        batch = fetch(size, token)
        found.extend(batch)
        token = getattr(batch, "token", None)
        if not token:
            break
    return found


def query_hash(*parts: Any) -> str:
    """A short stable digest of the query arguments a token is bound to."""
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _encode(offset: int, qhash: str) -> str:
    raw = json.dumps({"offset": offset, "query": qhash}).encode()
    return base64.urlsafe_b64encode(raw).decode()


_SHOWN = 40


def _cut(text: str) -> str:
    """``text`` cut to a few dozen characters: an error message never echoes a whole token."""
    return text if len(text) <= _SHOWN + 20 else f"{text[:_SHOWN]}... ({len(text)} characters)"


def _shown(value: object) -> str:
    return _cut(repr(value))


def _decode(token: str, qhash: str) -> int:
    """Offset stored in ``token``; InvalidParameterError if it is malformed or from another query."""
    if not isinstance(token, str):
        raise InvalidParameterError(f"page_token must be a string from a previous search, got {_shown(token)}")
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        offset, owner = data["offset"], data["query"]
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeError, RecursionError) as exc:
        raise InvalidParameterError(
            f"Invalid page_token {_shown(token)}: it is not a token returned by a previous search "
            f"({_cut(str(exc))})"
        ) from None
    if type(offset) is not int or offset < 0:
        raise InvalidParameterError(f"Invalid page_token {_shown(token)}: bad offset {_shown(offset)}")
    if owner != qhash:
        raise InvalidParameterError(
            f"page_token {_shown(token)} belongs to a different search; pass the same experiment ids, "
            "filter, view type and order_by as the search that returned it"
        )
    return offset


def page(items: Sequence[T], max_results: int, page_token: str | None, qhash: str) -> PagedList:
    """Slice one page out of the full ordered result ``items``."""
    start, end, token = page_bounds(len(items), max_results, page_token, qhash)
    return PagedList(items[start:end], token)


def page_bounds(count: int, max_results: int, page_token: str | None, qhash: str) -> tuple[int, int, str | None]:
    """Start and end offsets of one page of ``count`` ordered items, and the next page's token."""
    start = 0 if page_token in (None, "") else _decode(page_token, qhash)
    end = start + max_results
    return start, end, _encode(end, qhash) if end < count else None
