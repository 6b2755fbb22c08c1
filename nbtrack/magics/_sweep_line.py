"""Turning a ``%%track_sweep`` line into a checked :class:`SweepRequest`.

The line mixes Python and options: ``lr=[0.1, 0.01] depth=range(2, 6) tuned -e mnist
--metric val_loss``. A word starting ``NAME=`` (not right after an option that takes a value)
begins a setting; its expression runs to the first later whitespace where the text so far
parses as a Python expression, so expressions may contain spaces inside brackets and quotes.
The remaining words are parsed by the magic's ``@argument`` spec like any other magic line.
"""
from __future__ import annotations

import ast
import keyword
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from IPython.core.error import UsageError

from .._validation import validate_key
from ..errors import InvalidParameterError
from ..sweep import Space, grid_size, loguniform, space_of, uniform
from ._args import parse_args, parse_pairs, split_names

__all__ = ["SweepRequest", "parse_sweep", "split_settings"]

_SETTING_RE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=(?!=)")
#: Options whose next word is their value (so ``-t k=v`` is a tag, not a setting).
_VALUE_OPTIONS = frozenset({"-e", "--experiment", "-t", "--tag", "--random", "--seed", "--optuna",
                            "--metric", "--direction", "--live"})
#: Names a sweep expression may use without importing them (the user's own names win).
HELPERS = {"loguniform": loguniform, "uniform": uniform}


@dataclass
class SweepRequest:
    """What a ``%%track_sweep`` line asked for, checked before any run starts."""

    line: str
    spaces: list[Space]
    name: str | None = None
    experiment: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    mode: str = "grid"  # grid, random or optuna
    count: int = 0  # settings to try (grid: all of them)
    seed: int | None = None
    metric: str | None = None
    direction: str = "minimize"
    fail_fast: bool = False
    live: list[str] | None = None
    capture: bool = True


def _word_end(line: str, i: int) -> int:
    """End of the shell-like word starting at ``i`` (quotes group, as ``split_line`` reads)."""
    quote = None
    while i < len(line):
        ch = line[i]
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch.isspace():
            break
        i += 1
    return i


def _expression_end(line: str, start: int, name: str) -> int:
    """End of the shortest Python expression starting at ``start`` that ends at a word break."""
    ends = [m.start() for m in re.finditer(r"\s", line[start:])]
    for end in [start + e for e in ends] + [len(line)]:
        text = line[start:end]
        if not text.strip():
            continue
        try:
            ast.parse(text.strip(), mode="eval")
        except SyntaxError:
            continue
        return end
    raise UsageError(f"setting {name}= is not followed by a complete Python expression")


def split_settings(line: str) -> tuple[dict[str, str], str]:
    """``({name: expression text}, the other words)`` of a sweep line."""
    settings: dict[str, str] = {}
    words: list[str] = []
    i = 0
    while i < len(line):
        if line[i].isspace():
            i += 1
            continue
        match = _SETTING_RE.match(line, i)
        after_option = bool(words) and words[-1] in _VALUE_OPTIONS
        if match and not after_option:
            name = match.group(1)
            end = _expression_end(line, match.end(), name)
            if keyword.iskeyword(name):
                raise UsageError(f"{name!r} is a Python keyword and cannot be a sweep variable")
            if name in settings:
                raise UsageError(f"sweep variable {name!r} is given twice")
            settings[name] = line[match.end():end].strip()
        else:
            end = _word_end(line, i)
            words.append(line[i:end])
        i = end
    return settings, " ".join(words)


def _spaces(settings: Mapping[str, str], user_ns: Mapping[str, Any]) -> list[Space]:
    """Evaluate each expression in the notebook namespace (plus ``loguniform``/``uniform``)."""
    names = {**HELPERS, **user_ns}  # globals, so comprehensions see the notebook's names too
    spaces = []
    for name, expr in settings.items():
        try:
            value = eval(compile(expr, f"<sweep {name}>", "eval"), names)
        except Exception as exc:  # noqa: BLE001 - any error of the user's expression
            raise UsageError(f"cannot evaluate {name}={expr}: {type(exc).__name__}: {exc}") from None
        try:
            spaces.append(space_of(name, expr, value))
        except InvalidParameterError as exc:
            raise UsageError(str(exc)) from None
    return spaces


def parse_sweep(magic: Any, line: str, user_ns: Mapping[str, Any]) -> SweepRequest:
    """The checked request of a ``%%track_sweep`` line; every mistake is a UsageError."""
    settings, rest = split_settings(line)
    args = parse_args(magic, rest)
    if args.settings:  # words left over: not NAME=EXPRESSION, and not the one run name
        raise UsageError(f"unexpected {' '.join(args.settings)!r} in the %%track_sweep line: write each "
                         "setting as NAME=EXPRESSION with no space before or after '='")
    if not settings:
        raise UsageError("%%track_sweep needs at least one NAME=EXPRESSION setting, e.g. lr=[0.1, 0.01]")
    if args.random is not None and args.optuna is not None:
        raise UsageError("choose one of --random N and --optuna N")
    mode = "random" if args.random is not None else "optuna" if args.optuna is not None else "grid"
    count = args.random if mode == "random" else args.optuna if mode == "optuna" else 0
    if mode != "grid" and count < 1:
        raise UsageError(f"--{mode} needs a positive number of settings, got {count}")
    if args.seed is not None and mode == "grid":
        raise UsageError("--seed goes with --random N or --optuna N (a grid is not random)")
    if args.direction is not None and args.metric is None:
        raise UsageError("--direction needs --metric KEY (the metric that decides the best run)")
    if mode == "optuna" and args.metric is None:
        raise UsageError("--optuna needs --metric KEY: the child's last value of KEY is the objective")
    spaces = _spaces(settings, user_ns)
    if mode == "grid":
        try:
            count = grid_size(spaces)
        except InvalidParameterError as exc:
            raise UsageError(str(exc)) from None
    try:
        tags = {validate_key(k, "tag"): v for k, v in parse_pairs(args.tag, "-t").items()}
    except InvalidParameterError as exc:
        raise UsageError(str(exc)) from None
    return SweepRequest(
        line=line, spaces=spaces, name=args.run_name, experiment=args.experiment, tags=tags,
        mode=mode, count=count, seed=args.seed, metric=args.metric,
        direction=args.direction or _default_direction(args.metric), fail_fast=args.fail_fast,
        live=None if args.live is None else split_names([args.live]), capture=not args.no_capture,
    )


def _default_direction(metric: str | None) -> str:
    """The panels' rule: loss/error-like keys are minimised, others maximised."""
    if metric is None:
        return "minimize"
    from ..widgets._metric_rules import lower_is_better

    return "minimize" if lower_is_better(metric) else "maximize"
