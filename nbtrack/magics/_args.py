"""Turning a magic's line into checked values; every user mistake is a ``UsageError``.

A ``UsageError`` is shown without a traceback, so these checks run before any run is touched.
"""
from __future__ import annotations

import ast
import shlex
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from IPython.core.error import UsageError

from .._validation import validate_key, validate_param_value
from ..errors import InvalidParameterError, NoActiveRunError
from ..provenance import VARIABLES_TAG

__all__ = [
    "RunRequest",
    "call_verb",
    "checked_params",
    "lookup",
    "metric_value",
    "parse_args",
    "parse_pairs",
    "parse_value",
    "run_request",
    "split_line",
    "split_names",
]


def split_line(line: str) -> list[str]:
    """Shell-like words: quotes group (``note="a b"``), backslashes stay (``C:\\data``)."""
    lexer = shlex.shlex(line, posix=True)
    lexer.whitespace_split = True
    lexer.escape = ""
    try:
        return list(lexer)
    except ValueError as exc:
        raise UsageError(f"cannot split {line!r}: {exc}") from None


def parse_args(magic: Any, line: str) -> Any:
    """Parse a magic's line with its ``@argument`` spec; errors are UsageErrors."""
    return magic.parser.parse_args(split_line(line))


def parse_value(text: str) -> Any:
    """A Python literal if ``text`` is one (``0.1``, ``[1, 2]``, ``'a b'``), else the text."""
    try:
        return ast.literal_eval(text)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return text


def parse_pairs(tokens: Iterable[str], what: str) -> dict[str, str]:
    """``["k=v", ...]`` -> ``{k: raw v}``; UsageError naming a token that is not ``KEY=VALUE``."""
    pairs: dict[str, str] = {}
    for token in tokens:
        key, sep, value = token.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"{what} must be KEY=VALUE, got {token!r}")
        pairs[key.strip()] = value
    return pairs


def metric_value(key: str, raw: str) -> float:
    """A metric's value from its text: a number literal, ``nan`` or ``inf``; else UsageError."""
    value = parse_value(raw)
    if isinstance(value, str):
        try:
            return float(value)  # nan, inf
        except ValueError:
            pass
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    raise UsageError(f"metric {key!r} must be a number, got {raw!r}")


def checked_params(params: Mapping[str, Any]) -> dict[str, str]:
    """Validate param names and values up front, as UsageError, before any run is touched."""
    try:
        return {validate_key(k, "param"): validate_param_value(k, v) for k, v in params.items()}
    except InvalidParameterError as exc:
        raise UsageError(str(exc)) from None


def lookup(ns: Mapping[str, Any], names: Iterable[str]) -> dict[str, Any]:
    """``{name: ns[name]}`` for notebook variables; UsageError naming one that is missing."""
    found = {}
    for name in names:
        if name not in ns:
            raise UsageError(f"variable {name!r} is not defined in the notebook namespace")
        found[name] = ns[name]
    return found


def split_names(values: Iterable[str]) -> list[str]:
    """``["a,b", "c"]`` -> ``["a", "b", "c"]`` (empty names dropped)."""
    return [n for v in values for n in v.split(",") if n]


def call_verb(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call a fluent verb, turning a user mistake into a UsageError (no traceback)."""
    try:
        return fn(*args, **kwargs)
    except (InvalidParameterError, NoActiveRunError) as exc:
        raise UsageError(str(exc)) from None


@dataclass
class RunRequest:
    """What a ``%track_run`` / ``%%track_run`` line asked for, validated before any run starts."""

    name: str | None = None
    experiment: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    nested: bool = False
    live: list[str] | None = None
    capture: bool = True
    autolog: bool = False
    system: bool = False


def run_request(args: Any, user_ns: Mapping[str, Any], papermill_params: Mapping[str, Any]) -> RunRequest:
    """The RunRequest of parsed ``track_run`` arguments; papermill's parameters become params."""
    if args.live is not None and args.end:
        raise UsageError("--live cannot be combined with --end")
    params = dict(papermill_params)
    params.update(lookup(user_ns, split_names(args.param)))
    tags = parse_pairs(args.tag, "-t")
    try:
        tags = {validate_key(k, "tag"): v for k, v in tags.items()}
    except InvalidParameterError as exc:
        raise UsageError(str(exc)) from None
    if papermill_params:
        tags["nbtrack.papermill"] = "true"
    if params:  # which params are notebook variables, for %track_restore
        tags[VARIABLES_TAG] = ",".join(params)
    live = None if args.live is None else split_names([args.live])
    return RunRequest(args.run_name, args.experiment, tags, checked_params(params),
                      args.nested, live, not args.no_capture,
                      getattr(args, "autolog", False), getattr(args, "system", False))
