"""Filter and order registered models and versions (``name LIKE 'iris%' AND tags.team = 'ml'``).

A small tokenizer and parser of their own: the registry filters only a handful of string and
number fields, joined by AND, so MLflow's registry grammar fits in a page. Never ``eval``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Sequence, TypeVar

from ..errors import InvalidFilterError, InvalidParameterError

T = TypeVar("T")

_TOKEN_RE = re.compile(
    r"""\s*(?:
      (?P<str>'(?:[^']|'')*'|"(?:[^"]|"")*")
    | (?P<num>-?\d+)
    | (?P<op>!=|<=|>=|=|<|>|\(|\)|,)
    | (?P<word>[A-Za-z_]\w*(?:\.(?:\w+|`[^`]+`))?|`[^`]+`)
    )""",
    re.VERBOSE,
)
_STRING_OPS = ("=", "!=", "LIKE", "ILIKE", "IN", "NOT IN")
_NUMBER_OPS = ("=", "!=", "<", "<=", ">", ">=", "IN", "NOT IN")


@dataclass(frozen=True)
class Field:
    """One filterable field: how to read it from an entity and whether it is a number."""

    getter: Callable[[Any], Any]
    numeric: bool = False


MODEL_FIELDS = {"name": Field(lambda m: m.name)}
VERSION_FIELDS = {
    "name": Field(lambda v: v.name),
    "run_id": Field(lambda v: v.run_id),
    "source": Field(lambda v: v.source),
    "source_path": Field(lambda v: v.source),
    "current_stage": Field(lambda v: v.current_stage),
    "status": Field(lambda v: v.status),
    "version_number": Field(lambda v: v.version, numeric=True),
}
MODEL_ORDER_KEYS = ("name", "creation_timestamp", "last_updated_timestamp")
VERSION_ORDER_KEYS = ("name", "version_number", "creation_timestamp", "last_updated_timestamp")


@dataclass(frozen=True)
class Clause:
    field: Field
    op: str
    value: Any
    tag: str | None = None

    def matches(self, entity: Any) -> bool:
        got = entity.tags.get(self.tag) if self.tag is not None else self.field.getter(entity)
        return _compare(got, self.op, self.value)


def _compare(got: Any, op: str, want: Any) -> bool:
    if got is None:
        return op in ("!=", "NOT IN")
    if op == "=":
        return got == want
    if op == "!=":
        return got != want
    if op in ("IN", "NOT IN"):
        return (got in want) == (op == "IN")
    if op in ("LIKE", "ILIKE"):
        return _like_regex(want, op == "ILIKE").fullmatch(got) is not None
    return {"<": got < want, "<=": got <= want, ">": got > want, ">=": got >= want}[op]


def _like_regex(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    parts = (".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


class _Parser:
    def __init__(self, text: str, fields: dict[str, Field]):
        self.text, self.fields = text, fields
        self.tokens = self._tokenize(text)
        self.i = 0

    def _tokenize(self, text: str) -> list[tuple[str, str, int]]:
        tokens, pos = [], 0
        while text[pos:].strip():
            m = _TOKEN_RE.match(text, pos)
            if m is None or m.end() == pos:
                bad = pos + len(text[pos:]) - len(text[pos:].lstrip())
                raise InvalidFilterError(text, bad, "a name, operator or quoted value", text[bad:bad + 20])
            kind = m.lastgroup or ""
            tokens.append((kind, m.group(kind), m.start(kind)))
            pos = m.end()
        return tokens

    def _peek(self) -> tuple[str, str, int]:
        return self.tokens[self.i] if self.i < len(self.tokens) else ("end", "", len(self.text))

    def _fail(self, expected: str) -> InvalidFilterError:
        _, value, pos = self._peek()
        return InvalidFilterError(self.text, pos, expected, value or None)

    def parse(self) -> list[Clause]:
        clauses = [self._clause()]
        while self._peek()[0] != "end":
            kind, value, _ = self._peek()
            if kind != "word" or value.upper() != "AND":
                raise self._fail("AND or the end of the filter")
            self.i += 1
            clauses.append(self._clause())
        return clauses

    def _clause(self) -> Clause:
        kind, word, _ = self._peek()
        key = word.replace("`", "")
        tag = key[len("tags."):] if key.startswith("tags.") and len(key) > 5 else None
        if kind != "word" or (tag is None and key not in self.fields):
            names = ", ".join([*self.fields, "tags.<key>"])
            raise self._fail(f"a field ({names})")
        self.i += 1
        field = self.fields.get(key, Field(lambda e: None))
        op = self._operator(field)
        value = self._values(field) if op in ("IN", "NOT IN") else self._value(field)
        return Clause(field, op, value, tag)

    def _operator(self, field: Field) -> str:
        kind, value, _ = self._peek()
        op = value.upper() if kind in ("op", "word") else ""
        if op == "NOT":
            self.i += 1
            kind, value, _ = self._peek()
            op = "NOT IN" if value.upper() == "IN" else ""
        allowed = _NUMBER_OPS if field.numeric else _STRING_OPS
        if op not in allowed:
            raise self._fail(f"an operator ({' '.join(allowed)})")
        self.i += 1
        return op

    def _value(self, field: Field) -> Any:
        kind, value, _ = self._peek()
        if field.numeric and kind == "num":
            self.i += 1
            return int(value)
        if not field.numeric and kind == "str":
            self.i += 1
            quote = value[0]
            return value[1:-1].replace(quote * 2, quote)
        raise self._fail("an integer" if field.numeric else "a quoted string")

    def _values(self, field: Field) -> tuple[Any, ...]:
        if self._peek()[1] != "(":
            raise self._fail("'(' opening a list of values")
        self.i += 1
        values = [self._value(field)]
        while self._peek()[1] == ",":
            self.i += 1
            values.append(self._value(field))
        if self._peek()[1] != ")":
            raise self._fail("',' or ')'")
        self.i += 1
        return tuple(values)


def parse_filter(filter_string: str | None, fields: dict[str, Field]) -> list[Clause]:
    """Parse ``filter_string`` into AND-ed clauses; None or blank means no filter."""
    if filter_string is None:
        return []
    if not isinstance(filter_string, str):
        raise InvalidParameterError(f"filter_string must be a string, got {type(filter_string).__name__}")
    if not filter_string.strip():
        return []
    return _Parser(filter_string, fields).parse()


def _order_key(item: str, allowed: Sequence[str]) -> tuple[str, bool]:
    if not isinstance(item, str):
        raise InvalidParameterError(f"order_by entries must be strings, got {item!r}")
    parts = item.split()
    key = parts[0] if parts else ""
    direction = parts[1].upper() if len(parts) > 1 else "ASC"
    if len(parts) > 2 or key not in allowed or direction not in ("ASC", "DESC"):
        raise InvalidFilterError(item, 0, f"'<key> [ASC|DESC]' with key one of {', '.join(allowed)}")
    return key, direction == "DESC"


def search(
    items: Iterable[T], filter_string: str | None, fields: dict[str, Field],
    order_by: Sequence[str] | None, allowed_order: Sequence[str], default_order: Sequence[str],
    getters: dict[str, Callable[[T], Any]],
) -> list[T]:
    """Filter then sort ``items`` (stable sorts applied last key first)."""
    clauses = parse_filter(filter_string, fields)
    if isinstance(order_by, str):
        order_by = [order_by]
    keys = [_order_key(o, allowed_order) for o in (order_by or [])]
    keys += [_order_key(o, allowed_order) for o in default_order if o.split()[0] not in {k for k, _ in keys}]
    found = [e for e in items if all(c.matches(e) for c in clauses)]
    for key, descending in reversed(keys):
        found.sort(key=getters[key], reverse=descending)
    return found
