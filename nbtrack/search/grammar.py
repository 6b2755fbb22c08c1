"""Tokenizer and recursive-descent parser for MLflow-style search filters and order_by clauses.

The parser turns text into a small AST (:class:`Comparison`, :class:`And`, :class:`Or`,
:class:`MatchAll`) and compiles every node into a closure while it parses, so filtering a
run costs a few attribute lookups. Nothing is ever ``eval``-ed. What a name means (which
prefixes and attributes exist, how to read them) comes from a :class:`Schema`, so the same
grammar serves runs, experiments, registered models and model versions. Every problem raises :class:`InvalidFilterError` with
the 0-based offset of the offending token and a short phrase saying what was expected.

Grammar (keywords case-insensitive; ``AND`` binds tighter than ``OR``)::

    filter     := [or_expr] EOF
    or_expr    := and_expr ("OR" and_expr)*
    and_expr   := primary ("AND" primary)*
    primary    := "(" or_expr ")" | name test
    name       := WORD | prefix "." QUOTED | QUOTED | QUOTED "." key    (QUOTED: `...` or "...")
    test       := NUM_OP number | ("=" | "!=" | "LIKE" | "ILIKE") string
                | ["NOT"] "IN" "(" string ("," string)* ")" | "IS" ["NOT"] "NULL"
    order      := name ["ASC" | "DESC"] EOF
"""
from __future__ import annotations

import dataclasses
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple, NoReturn

from nbtrack.errors import InvalidFilterError
from nbtrack.search.like import compile_like

__all__ = [
    "Field",
    "Schema",
    "Comparison",
    "And",
    "Or",
    "MatchAll",
    "Expr",
    "Token",
    "tokenize",
    "parse_expression",
    "parse_order_clause",
    "COMPARATOR_PHRASE",
    "value_test",
]

Getter = Callable[[Any], Any]
Test = Callable[[Any], bool]

COMPARATOR_PHRASE = "a comparator (=, !=, <, <=, >, >=, LIKE, ILIKE, IN, IS)"
_NUMERIC_PHRASE = "a numeric comparator (=, !=, <, <=, >, >=)"
_STRING_PHRASE = "a string comparator (=, !=, LIKE, ILIKE, IN, NOT IN)"
_MAX_DEPTH = 64  # nesting of parentheses; keeps recursion far from Python's limit

_NUMERIC_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_STRING_OPS = frozenset({"=", "!=", "LIKE", "ILIKE", "IN", "NOT IN"})
_KEYWORDS = frozenset({"AND", "OR", "NOT", "IN", "IS", "NULL", "LIKE", "ILIKE"})


# --------------------------------------------------------------------------- schema


@dataclass(frozen=True)
class Field:
    """One thing a filter can name, with how to read it from a run or experiment."""

    entity: str  # "metric", "param", "tag" or "attribute"
    key: str
    numeric: bool
    nullable: bool
    get: Getter = dataclasses.field(compare=False, repr=False)
    sort_key: Getter | None = dataclasses.field(default=None, compare=False, repr=False)

    @property
    def label(self) -> str:
        """How error messages name this field, e.g. ``metric 'acc'``."""
        return f"{self.entity} {self.key!r}"


@dataclass(frozen=True, eq=False)  # hashed by identity: schemas are module-level singletons
class Schema:
    """The vocabulary of one kind of search: prefixes, attributes and keyed-field factories."""

    prefixes: Mapping[str, str]  # lower-case alias -> entity, e.g. "params" -> "param"
    attributes: Mapping[str, Field]  # lower-case name or alias -> field
    keyed: Mapping[str, Callable[[str], Field]]  # entity -> factory taking the key
    prefix_phrase: str  # e.g. "one of metrics., params., tags., attributes."
    attribute_names: tuple[str, ...]  # canonical names, for error messages
    name_phrase: str  # what a name looks like, e.g. "a name such as tags.<key> or an attribute"


# --------------------------------------------------------------------------- tokens


class Token(NamedTuple):
    kind: str  # WORD NUMBER QPREFIX SQ DQ BQ OP LPAREN RPAREN COMMA EOF
    text: str  # the raw source text of the token
    value: Any  # unquoted string, float, or the text itself
    pos: int
    end: int


_TOKEN_RE = re.compile(
    r"""
    (?P<WS>\s+)
  | (?P<NUMBER>[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<WORD>[^\W\d][\w.\-/:]*)
  | (?P<QPREFIX>(?:`(?:[^`]|``)*`|"(?:[^"]|"")*")\.[\w.\-/:]*)
  | (?P<SQ>'(?:[^']|'')*')
  | (?P<DQ>"(?:[^"]|"")*")
  | (?P<BQ>`(?:[^`]|``)*`)
  | (?P<OP>!=|<=|>=|=|<|>)
  | (?P<LPAREN>\()
  | (?P<RPAREN>\))
  | (?P<COMMA>,)
    """,
    re.VERBOSE,
)
_QUOTES = {"SQ": "'", "DQ": '"', "BQ": "`"}


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens (whitespace dropped), ending with an EOF token."""
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN_RE.match(text, pos)
        if match is None:
            _raise_bad_char(text, pos)
        kind, raw = match.lastgroup or "", match.group()
        if kind != "WS":
            tokens.append(Token(kind, raw, _token_value(text, kind, raw, pos), pos, match.end()))
        pos = match.end()
    tokens.append(Token("EOF", "", None, len(text), len(text)))
    return tokens


def _raise_bad_char(text: str, pos: int) -> NoReturn:
    char = text[pos]
    if char in _QUOTES.values():
        raise InvalidFilterError(text, pos, f"a closing {char} for the quote opened here", char)
    raise InvalidFilterError(
        text, pos, "a name, number, quoted string, comparator, parenthesis or comma", char
    )


def _token_value(text: str, kind: str, raw: str, pos: int) -> Any:
    if kind == "QPREFIX":  # `tags`.key -> ("tags", "key", offset of the key in the token)
        quote = raw[0]
        close = raw.rindex(quote)
        return raw[1:close].replace(quote * 2, quote), raw[close + 2 :], close + 2
    if kind in _QUOTES:  # a doubled quote stands for one, as in SQL
        quote = _QUOTES[kind]
        return raw[1:-1].replace(quote * 2, quote)
    if kind == "NUMBER":
        try:
            return float(raw)
        except ValueError:  # pragma: no cover - the regex only admits valid floats
            raise InvalidFilterError(text, pos, "a number", raw) from None
    return raw


# --------------------------------------------------------------------------- AST


@dataclass(frozen=True)
class Comparison:
    """``field op value``; ``test`` is the closure compiled at parse time."""

    field: Field
    op: str
    value: Any
    position: int
    test: Test = dataclasses.field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "test", _compile(self.field, self.op, self.value))

    def matches(self, target: Any) -> bool:
        return self.test(target)


@dataclass(frozen=True)
class And:
    terms: tuple[Expr, ...]
    test: Test = dataclasses.field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "test", _all_of(tuple(t.test for t in self.terms)))

    def matches(self, target: Any) -> bool:
        return self.test(target)


@dataclass(frozen=True)
class Or:
    terms: tuple[Expr, ...]
    test: Test = dataclasses.field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "test", _any_of(tuple(t.test for t in self.terms)))

    def matches(self, target: Any) -> bool:
        return self.test(target)


@dataclass(frozen=True)
class MatchAll:
    """The empty filter."""

    def test(self, target: Any) -> bool:
        return True

    def matches(self, target: Any) -> bool:
        return True


Expr = Comparison | And | Or | MatchAll


def _all_of(tests: tuple[Test, ...]) -> Test:
    if len(tests) == 2:
        first, second = tests
        return lambda t: first(t) and second(t)
    return lambda t: all(test(t) for test in tests)


def _any_of(tests: tuple[Test, ...]) -> Test:
    if len(tests) == 2:
        first, second = tests
        return lambda t: first(t) or second(t)
    return lambda t: any(test(t) for test in tests)


def _compile(fld: Field, op: str, value: Any) -> Test:
    """Turn one comparison into a closure over what the field is read from (a run, ...)."""
    check, get = value_test(op, value, fld.numeric), fld.get
    return lambda t: check(get(t))


def value_test(op: str, value: Any, numeric: bool) -> Test:
    """One comparison as a test of the value a field holds (None when missing), so a caller
    holding columns of values applies exactly the filter's comparison. Missing values and NaN
    never compare true."""
    if op == "IS NULL":
        return lambda v: v is None
    if op == "IS NOT NULL":
        return lambda v: v is not None
    if op in _NUMERIC_OPS and numeric:
        compare = _NUMERIC_OPS[op]
        return lambda v: v is not None and v == v and compare(v, value)  # v == v rejects NaN
    if op in ("LIKE", "ILIKE"):
        like = compile_like(value, ignore_case=op == "ILIKE")
        return lambda v: v is not None and like(v)
    if op in ("IN", "NOT IN"):
        members, wanted = frozenset(value), op == "IN"
        return lambda v: v is not None and (v in members) is wanted
    if op == "=":
        return lambda v: v is not None and v == value
    return lambda v: v is not None and v != value


# --------------------------------------------------------------------------- parser


class _Parser:
    """Recursive descent over a token list; one instance per parse."""

    def __init__(self, text: str, schema: Schema):
        self.text = text
        self.schema = schema
        self.tokens = tokenize(text)
        self.index = 0
        self.depth = 0

    # -- token helpers

    def peek(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        if token.kind != "EOF":
            self.index += 1
        return token

    def keyword(self, *words: str) -> str | None:
        """Consume and return the next token if it is one of ``words`` (any case)."""
        token = self.peek()
        if token.kind == "WORD" and token.text.upper() in words:
            self.advance()
            return token.text.upper()
        return None

    def fail(self, token: Token, expected: str) -> InvalidFilterError:
        found = None if token.kind == "EOF" else token.text
        return InvalidFilterError(self.text, token.pos, expected, found)

    # -- expressions

    def parse_filter(self) -> Expr:
        if self.peek().kind == "EOF":
            return MatchAll()
        expr = self.or_expr()
        if self.peek().kind != "EOF":
            raise self.fail(self.peek(), "AND, OR or end of filter")
        return expr

    def or_expr(self) -> Expr:
        terms = [self.and_expr()]
        while self.keyword("OR"):
            terms.append(self.and_expr())
        return terms[0] if len(terms) == 1 else Or(tuple(terms))

    def and_expr(self) -> Expr:
        terms = [self.primary()]
        while self.keyword("AND"):
            terms.append(self.primary())
        return terms[0] if len(terms) == 1 else And(tuple(terms))

    def primary(self) -> Expr:
        token = self.peek()
        if token.kind != "LPAREN":
            return self.comparison()
        if self.depth >= _MAX_DEPTH:
            raise self.fail(token, f"a name: parentheses nest at most {_MAX_DEPTH} deep")
        self.advance()
        self.depth += 1
        expr = self.or_expr()
        self.depth -= 1
        if self.peek().kind != "RPAREN":
            raise self.fail(self.peek(), "AND, OR or ')'")
        self.advance()
        return expr

    def comparison(self) -> Comparison:
        fld = self.name()
        op_token = self.peek()
        op = self.comparator(fld)
        if op in ("IS NULL", "IS NOT NULL"):
            return Comparison(fld, op, None, op_token.pos)
        if op in ("IN", "NOT IN"):
            return Comparison(fld, op, self.string_list(fld), op_token.pos)
        value = self.number(fld) if fld.numeric else self.string(fld)
        return Comparison(fld, op, value, op_token.pos)

    # -- names

    def name(self) -> Field:
        token = self.advance()
        if token.kind in ("BQ", "DQ"):
            return self.attribute(token.value, token.pos)
        if token.kind == "QPREFIX":
            prefix, key, key_offset = token.value
            return self.prefixed(token, prefix, key, token.pos + key_offset)
        if token.kind != "WORD" or token.text.upper() in _KEYWORDS:
            raise self.fail(token, self.schema.name_phrase)
        prefix, dot, key = token.text.partition(".")
        if dot:
            return self.prefixed(token, prefix, key, token.pos + len(prefix) + 1)
        if prefix.lower() in self.schema.prefixes:
            raise InvalidFilterError(
                self.text, token.end, f"'.' and a key name after {prefix!r}", None
            )
        return self.attribute(prefix, token.pos)

    def prefixed(self, token: Token, prefix: str, key: str, key_pos: int) -> Field:
        """The field named ``prefix.key`` (``key`` empty: a quoted key follows the dot)."""
        entity = self.schema.prefixes.get(prefix.lower())
        if entity is None:
            raise InvalidFilterError(self.text, token.pos, self.schema.prefix_phrase, prefix + ".")
        if not key:
            key, key_pos = self.quoted_key(token, prefix)
        if entity == "attribute":
            return self.attribute(key, key_pos)
        if not key:
            raise InvalidFilterError(self.text, key_pos, "a non-empty key name", "")
        return self.schema.keyed[entity](key)

    def quoted_key(self, prefix_token: Token, prefix: str) -> tuple[str, int]:
        """The backtick- or double-quoted key right after ``prefix.``."""
        token = self.peek()
        if token.kind in ("BQ", "DQ") and token.pos == prefix_token.end:
            self.advance()
            return token.value, token.pos
        raise InvalidFilterError(
            self.text,
            prefix_token.end,
            f"a key name after '{prefix}.' (quote odd names: {prefix}.`my key`)",
            None if token.kind == "EOF" or token.pos != prefix_token.end else token.text,
        )

    def attribute(self, name: str, pos: int) -> Field:
        fld = self.schema.attributes.get(name.lower())
        if fld is None:
            valid = ", ".join(self.schema.attribute_names)
            raise InvalidFilterError(self.text, pos, f"an attribute name (one of {valid})", name)
        return fld

    # -- comparators and values

    def comparator(self, fld: Field) -> str:
        token = self.advance()
        word = token.text.upper() if token.kind == "WORD" else None
        if token.kind == "OP":
            op = token.text
        elif word in ("LIKE", "ILIKE", "IN"):
            op = word
        elif word == "NOT":
            if not self.keyword("IN"):
                raise self.fail(self.peek(), "IN after NOT")
            op = "NOT IN"
        elif word == "IS":
            negated = self.keyword("NOT")
            if not self.keyword("NULL"):
                raise self.fail(self.peek(), "NULL after IS NOT" if negated else "NULL or NOT NULL")
            op = "IS NOT NULL" if negated else "IS NULL"
        else:
            raise self.fail(token, COMPARATOR_PHRASE)
        self.check_comparator(fld, op, token)
        return op

    def check_comparator(self, fld: Field, op: str, token: Token) -> None:
        if op.startswith("IS "):
            if not fld.nullable:
                raise self.fail(token, f"{_comparators(fld)} for {fld.label}, which is never null")
        elif fld.numeric and op not in _NUMERIC_OPS:
            raise self.fail(token, f"{_NUMERIC_PHRASE} for {fld.label}")
        elif not fld.numeric and op not in _STRING_OPS:
            raise self.fail(token, f"{_STRING_PHRASE} for {fld.label}")

    def number(self, fld: Field) -> float:
        token = self.advance()
        if token.kind != "NUMBER":
            raise self.fail(token, f"a number for {fld.label}")
        return token.value

    def string(self, fld: Field) -> str:
        token = self.advance()
        if token.kind in ("SQ", "DQ"):
            return token.value
        if token.kind == "NUMBER":
            hint = f"{fld.entity} values are strings, so quote it: '{token.text}'"
            raise self.fail(token, f"a quoted string for {fld.label} ({hint})")
        raise self.fail(token, f"a quoted string for {fld.label}")

    def string_list(self, fld: Field) -> tuple[str, ...]:
        if self.peek().kind != "LPAREN":
            raise self.fail(self.peek(), "'(' to start the IN list")
        self.advance()
        values = [self.string(fld)]
        while self.peek().kind == "COMMA":
            self.advance()
            values.append(self.string(fld))
        if self.peek().kind != "RPAREN":
            raise self.fail(self.peek(), "',' or ')'")
        self.advance()
        return tuple(values)

    # -- order_by

    def parse_order(self) -> tuple[Field, bool]:
        if self.peek().kind == "EOF":
            raise self.fail(self.peek(), self.schema.name_phrase)
        fld = self.name()
        direction = self.keyword("ASC", "DESC")
        if self.peek().kind != "EOF":
            expected = "end of clause" if direction else "ASC, DESC or end of clause"
            raise self.fail(self.peek(), expected)
        return fld, direction != "DESC"


def _comparators(fld: Field) -> str:
    return _NUMERIC_PHRASE if fld.numeric else _STRING_PHRASE


def parse_expression(text: str, schema: Schema) -> Expr:
    """Parse a whole filter string; blank text gives :class:`MatchAll`."""
    return _Parser(text, schema).parse_filter()


def parse_order_clause(text: str, schema: Schema) -> tuple[Field, bool]:
    """Parse one order_by clause such as ``"metrics.acc DESC"`` into (field, ascending)."""
    return _Parser(text, schema).parse_order()
