"""Input rules shared by every entry point (MLflow's, stricter where MLflow loses data)."""
from __future__ import annotations

import numbers
import posixpath
import re
import time
from typing import Any

from .errors import InvalidParameterError

MAX_KEY_LENGTH = 250
MAX_PARAM_VALUE_LENGTH = 6000
MAX_TAG_VALUE_LENGTH = 8000
MAX_NAME_LENGTH = 500
MAX_RESULTS_LIMIT = 50000

_KEY_RE = re.compile(r"[/\w.\- :]*")  # used with fullmatch: "$" would accept a final newline
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
# Keys already checked: the logging hot path validates each distinct key once.
GOOD_KEYS: set[str] = set()



def leaves_folder(norm: str) -> bool:
    """True if a normalised relative POSIX path climbs out of its folder (``..`` or ``../x``)."""
    return norm == ".." or norm.startswith("../")


def is_plain_relative_path(text: str) -> bool:
    """True for a non-empty relative POSIX path already in normal form that stays in its folder.

    The one rule for names that become paths (metric keys, a model's artifact folder, the path
    of a ``runs:/`` URI): no leading ``/``, no ``.``, ``..`` or empty segments.
    """
    if not text or text.startswith("/"):
        return False
    norm = posixpath.normpath(text)
    return norm == text and not leaves_folder(norm)

def _short(value: Any, limit: int = 60) -> str:
    """A bounded repr for messages (repr of a huge int raises; some objects' repr fails)."""
    try:
        text = repr(value)
    except Exception:
        return f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[:limit] + "..."


def now_ms() -> int:
    return int(time.time() * 1000)


def validate_key(key: Any, kind: str = "metric") -> str:
    """Return ``key`` if it is a valid metric/param/tag name, else raise."""
    if type(key) is str and key in GOOD_KEYS:
        return key
    if not isinstance(key, str):
        raise InvalidParameterError(f"{kind} key must be a string, got {type(key).__name__} {_short(key)}")
    if not key:
        raise InvalidParameterError(f"{kind} key must not be empty")
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidParameterError(
            f"{kind} key {key[:40]!r}... is {len(key)} characters; the limit is {MAX_KEY_LENGTH}"
        )
    if not _KEY_RE.fullmatch(key):
        raise InvalidParameterError(
            f"Invalid {kind} key {key!r}: names may only contain letters, digits, "
            "underscores (_), dashes (-), periods (.), spaces ( ), colons (:) and slashes (/)"
        )
    if not is_plain_relative_path(key):
        raise InvalidParameterError(
            f"Invalid {kind} key {key!r}: it must be a plain relative path "
            f"(no '..', '.', '//', leading or trailing '/'); "
            f"it would normalise to {posixpath.normpath(key)!r}"
        )
    if len(GOOD_KEYS) < 100_000:
        GOOD_KEYS.add(key)
    return key


def check_encodable(text: str, what: str) -> str:
    """Refuse strings that cannot be stored as UTF-8 (lone surrogates such as ``"\\ud800"``)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidParameterError(
            f"{what} {text[:40]!r} cannot be stored: character {exc.start} is a lone surrogate "
            "(not valid Unicode text)"
        ) from None
    return text


def _validate_text(kind: str, key: str, value: Any, limit: int) -> str:
    try:
        text = str(value)
    except Exception as exc:
        raise InvalidParameterError(f"{kind} {key!r} value cannot be turned into text: {exc}") from None
    check_encodable(text, f"{kind} {key!r} value")
    if len(text) > limit:
        raise InvalidParameterError(
            f"{kind} {key!r} value is {len(text)} characters; the limit is {limit}. "
            "Log long text with nbtrack.log_text() instead."
        )
    return text


def validate_param_value(key: str, value: Any) -> str:
    return _validate_text("Param", key, value, MAX_PARAM_VALUE_LENGTH)


def validate_tag_value(key: str, value: Any) -> str:
    return _validate_text("Tag", key, value, MAX_TAG_VALUE_LENGTH)


def validate_metric_value(key: str, value: Any) -> float:
    """Accept int/float/bool and numpy scalars; NaN and +-inf are kept as they are.

    Numbers too large for a float (``10**400``) are refused here, never at flush.
    """
    try:
        return _to_float(key, value)
    except (OverflowError, TypeError, ValueError) as exc:
        if isinstance(exc, InvalidParameterError):
            raise
        raise InvalidParameterError(f"Metric {key!r} value {_short(value)} cannot be stored as a float: {exc}") from None


def _to_float(key: str, value: Any) -> float:
    t = type(value)
    if t is float or t is int:
        return float(value)
    if isinstance(value, (str, bytes)) or value is None or isinstance(value, complex):
        raise InvalidParameterError(
            f"Metric {key!r} value must be a number (int, float, bool or numpy scalar), "
            f"got {type(value).__name__} {_short(value)}"
        )
    if isinstance(value, numbers.Real):
        return float(value)
    item = getattr(value, "item", None)  # numpy bool_ and 0-d arrays
    if callable(item) and getattr(value, "ndim", 1) == 0:
        inner = item()
        if isinstance(inner, (bool, int, float)):
            return float(inner)
    raise InvalidParameterError(
        f"Metric {key!r} value must be a number (int, float, bool or numpy scalar), "
        f"got {type(value).__name__} {_short(value)}"
    )


def _check_int64(value: int, what: str) -> int:
    if not INT64_MIN <= value <= INT64_MAX:
        raise InvalidParameterError(f"{what} {_short(value)} is outside the signed 64-bit range")
    return value


def validate_step(step: Any) -> int:
    if step is None:
        return 0
    if type(step) is int and INT64_MIN <= step <= INT64_MAX:
        return step
    if isinstance(step, bool) or not isinstance(step, numbers.Integral):
        raise InvalidParameterError(
            f"Metric step must be an integer, got {type(step).__name__} {_short(step)}"
        )
    return _check_int64(int(step), "Metric step")


def validate_timestamp(timestamp: Any) -> int:
    """Timestamps are milliseconds since the epoch; None means now."""
    if timestamp is None:
        return now_ms()
    if isinstance(timestamp, bool) or not isinstance(timestamp, numbers.Integral):
        raise InvalidParameterError(
            f"Timestamp must be an integer number of milliseconds since the epoch, "
            f"got {type(timestamp).__name__} {_short(timestamp)}"
        )
    return _check_int64(int(timestamp), "Timestamp")


def validate_name(value: Any, what: str) -> str:
    """Experiment, run and model names: non-empty strings of bounded length."""
    if not isinstance(value, str):
        raise InvalidParameterError(f"{what} must be a string, got {type(value).__name__} {_short(value)}")
    if not value.strip():
        raise InvalidParameterError(f"{what} must not be empty or blank")
    if len(value) > MAX_NAME_LENGTH:
        raise InvalidParameterError(
            f"{what} is {len(value)} characters; the limit is {MAX_NAME_LENGTH}"
        )
    return check_encodable(value, what)


def validate_id(value: Any, what: str) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)) or str(value) == "":
        raise InvalidParameterError(f"{what} must be a non-empty string, got {_short(value)}")
    return check_encodable(str(value), what)


def validate_max_results(max_results: Any) -> int:
    if (
        isinstance(max_results, bool)
        or not isinstance(max_results, numbers.Integral)
        or not 1 <= int(max_results) <= MAX_RESULTS_LIMIT
    ):
        raise InvalidParameterError(
            f"max_results must be an integer from 1 to {MAX_RESULTS_LIMIT}, got {_short(max_results)}"
        )
    return int(max_results)
