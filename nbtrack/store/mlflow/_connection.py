"""One MLflow tracking server: its URI, MLflow's client for it, and errors that name it.

MLflow is imported here, on the first use of an ``http(s)://`` URI, never by ``import nbtrack``.
MLflow's own client defaults (120 s per request, 7 retries with backoff) can hold a notebook
cell for many minutes; the timeout below replaces them unless the user set MLflow's variables.
"""
from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlparse

from ...errors import (
    AlreadyExistsError,
    InvalidParameterError,
    NbtrackError,
    NotFoundError,
    StoreError,
    StoreWriteError,
)

T = TypeVar("T")

#: Seconds one request to the server may take (``NBTRACK_MLFLOW_TIMEOUT`` overrides).
DEFAULT_TIMEOUT_S = 30.0
ENV_TIMEOUT = "NBTRACK_MLFLOW_TIMEOUT"
_SECRET_ENV = ("MLFLOW_TRACKING_PASSWORD", "MLFLOW_TRACKING_TOKEN", "MLFLOW_TRACKING_USERNAME")
_SET_BY_US: set[str] = set()
_READS = ("reading", "listing", "searching", "downloading")
_USERINFO_RE = re.compile(r"(https?://)[^/@\s]+@")


def canonical_server_uri(raw: str) -> str:
    """``http(s)://host:port[/path]`` without a trailing slash; credentials in it are refused.

    A password inside the URI would end up in tags, logs and error messages, so it is refused
    with a pointer to MLflow's environment variables (without echoing what was given).
    """
    parsed = urlparse(raw.strip())
    if parsed.scheme.lower() not in ("http", "https") or not parsed.hostname:
        raise InvalidParameterError("A tracking server URI looks like http://host:5000")
    if parsed.username or parsed.password:
        raise InvalidParameterError(
            "Tracking URI carries credentials; remove them and set MLFLOW_TRACKING_USERNAME / "
            "MLFLOW_TRACKING_PASSWORD (or MLFLOW_TRACKING_TOKEN) in the environment instead"
        )
    port = f":{parsed.port}" if parsed.port else ""
    path = parsed.path.rstrip("/")
    return f"{parsed.scheme.lower()}://{parsed.hostname}{port}{path}"


def server_address(uri: str) -> str:
    """``host:port`` of a server URI, the name users see in errors."""
    parsed = urlparse(uri)
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    return f"{parsed.hostname}:{port}"


def timeout_s() -> float:
    """The per-request timeout: ``$NBTRACK_MLFLOW_TIMEOUT`` or 30 s."""
    raw = os.environ.get(ENV_TIMEOUT)
    try:
        return float(raw) if raw else DEFAULT_TIMEOUT_S
    except ValueError:
        raise InvalidParameterError(f"${ENV_TIMEOUT} must be a number of seconds, got {raw!r}") from None


def make_client(uri: str) -> Any:
    """MLflow's ``MlflowClient`` for ``uri`` with nbtrack's timeout (MLflow reads these per request)."""
    for name, value in (("MLFLOW_HTTP_REQUEST_TIMEOUT", str(int(max(1.0, timeout_s())))),
                        ("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")):
        if name not in os.environ or name in _SET_BY_US:  # the user's own setting wins
            os.environ[name] = value
            _SET_BY_US.add(name)
    # MLflow prints two links to stdout (after an extra request) whenever a run ends.
    os.environ.setdefault("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT", "true")
    try:
        from mlflow.tracking import MlflowClient
    except ImportError:
        raise NbtrackError(
            f"Tracking URI {uri} is an MLflow tracking server; install the client with "
            "pip install 'nbtrack[mlflow]'"
        ) from None
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def redact(text: str) -> str:
    """``text`` without URI user info or any credential value from MLflow's variables."""
    text = _USERINFO_RE.sub(r"\1***@", text)
    for name in _SECRET_ENV:
        value = os.environ.get(name)
        if value and len(value) >= 3:
            text = text.replace(value, "***")
    return text


def is_unreachable(exc: BaseException) -> bool:
    """True when the request surely never reached the server (nothing can have been applied)."""
    text = str(exc)
    return any(
        marker in text
        for marker in ("Connection refused", "NewConnectionError", "Name or service not known",
                       "No route to host", "nodename nor servname")
    )


def is_transport_error(exc: BaseException) -> bool:
    """True for failures of the connection rather than answers of the server."""
    try:
        from mlflow.exceptions import MlflowException
    except ImportError:  # pragma: no cover - MLflow is there if a client exists
        return True
    if not isinstance(exc, MlflowException):
        return True
    code = getattr(exc, "error_code", "")
    text = str(exc)
    return (
        code in ("INTERNAL_ERROR", "TEMPORARILY_UNAVAILABLE", "REQUEST_LIMIT_EXCEEDED")
        and ("API request to" in text or "Max retries" in text or "timed out" in text.lower())
    ) or is_unreachable(exc)


#: MLflow error codes that mean "this request will never be accepted" (anything else may pass later).
_REFUSALS = ("INVALID_PARAMETER_VALUE", "RESOURCE_DOES_NOT_EXIST", "RESOURCE_ALREADY_EXISTS",
             "INVALID_STATE", "BAD_REQUEST")


def is_retryable(exc: BaseException) -> bool:
    """True unless the server refused the request for good (a 5xx, 429 or auth failure may pass later)."""
    return getattr(exc, "error_code", None) not in _REFUSALS


def cause_of(exc: BaseException) -> str:
    """A short, credential-free reason: the innermost useful part of MLflow's message."""
    text = redact(str(exc))
    for marker in ("Connection refused", "Read timed out", "timed out", "Name or service not known",
                   "Remote end closed connection", "Connection reset", "No route to host"):
        if marker in text:
            return marker
    code = getattr(exc, "error_code", None)
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return f"{code}: {first[:300]}" if code else first[:300]


def translate(exc: BaseException, address: str, what: str) -> NbtrackError:
    """The nbtrack error for an MLflow failure while doing ``what`` on the server at ``address``."""
    if is_transport_error(exc):
        if what.startswith(_READS):
            return StoreError(f"MLflow server {address} did not answer while {what}: {cause_of(exc)}")
        return StoreWriteError(f"MLflow server {address}", f"{cause_of(exc)} (while {what})")
    code = getattr(exc, "error_code", "")
    message = redact(getattr(exc, "message", None) or str(exc))
    if code == "RESOURCE_DOES_NOT_EXIST":
        return NotFoundError(message)
    if code == "RESOURCE_ALREADY_EXISTS":
        return AlreadyExistsError(message)
    if code == "INVALID_PARAMETER_VALUE":
        return InvalidParameterError(message)
    return StoreError(f"MLflow server {address} refused {what}: {message}")


def call(address: str, what: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run one MLflow client call, turning its failures into nbtrack errors that name the server."""
    try:
        return fn(*args, **kwargs)
    except NbtrackError:
        raise
    except Exception as exc:  # noqa: BLE001 - MLflow and requests failures alike become ours
        raise translate(exc, address, what) from None
