"""Errors raised by nbtrack.

Every error derives from :class:`NbtrackError` and also from the builtin that fits it, so callers
may catch either (``except LookupError`` catches a missing run). Messages name the bad value and
the rule it broke.
"""
from __future__ import annotations

__all__ = [
    "NbtrackError",
    "InvalidParameterError",
    "InvalidFilterError",
    "ParamConflictError",
    "ArtifactPathError",
    "InvalidModelUriError",
    "NotFoundError",
    "ExperimentNotFoundError",
    "RunNotFoundError",
    "TagNotFoundError",
    "AmbiguousRunIdError",
    "StoreNotFoundError",
    "ArtifactNotFoundError",
    "RegisteredModelNotFoundError",
    "ModelVersionNotFoundError",
    "AlreadyExistsError",
    "ExperimentAlreadyExistsError",
    "RegisteredModelAlreadyExistsError",
    "NoActiveRunError",
    "RunStateError",
    "RunPrunedError",
    "StoreError",
    "StoreCorruptedError",
    "StoreBusyError",
    "StoreWriteError",
    "ModelIntegrityError",
]


class NbtrackError(Exception):
    """Root of every error nbtrack raises on purpose.

    ``error_code`` is the code MLflow gives the same failure (``RESOURCE_DOES_NOT_EXIST``,
    ``INVALID_PARAMETER_VALUE``...), so code that branches on ``exc.error_code`` ports unchanged;
    each subclass sets its usual code and a raise site may pass another one (``error_code=``)
    where MLflow uses a different code for that case. ``message`` is the text, as on MLflow's
    exceptions.
    """

    error_code: str = "INTERNAL_ERROR"

    def __init__(self, *args: object, error_code: str | None = None):
        super().__init__(*args)
        if error_code is not None:
            self.error_code = error_code

    @property
    def message(self) -> str:
        return str(self)

    def get_http_status_code(self) -> int:
        """The HTTP status an MLflow server answers with for this code (500 when unknown)."""
        return HTTP_STATUS.get(self.error_code, 500)


class InvalidParameterError(NbtrackError, ValueError):
    """An argument broke a documented rule (bad key, value, name, range...)."""

    error_code = "INVALID_PARAMETER_VALUE"


class InvalidFilterError(InvalidParameterError):
    """A filter or order_by string could not be parsed.

    ``position`` is the 0-based character offset of the problem and ``expected`` says what
    the parser wanted there.
    """

    def __init__(self, text: str, position: int, expected: str, found: str | None = None):
        self.text = text
        self.position = position
        self.expected = expected
        self.found = found
        got = f", found {found!r}" if found is not None else ""
        super().__init__(
            f"Invalid filter {text!r} at position {position}: expected {expected}{got}"
        )


class ParamConflictError(InvalidParameterError):
    """A param was logged again with a different value (params are immutable)."""

    def __init__(self, run_id: str, key: str, old: str, new: str):
        self.run_id, self.key, self.old, self.new = run_id, key, old, new
        super().__init__(
            f"Param {key!r} of run {run_id} is already {old!r}; cannot change it to {new!r}. "
            "Params are immutable: use a new key, a tag, or a new run."
        )


class ArtifactPathError(InvalidParameterError):
    """An artifact path would leave the run's artifact folder."""


class InvalidModelUriError(InvalidParameterError):
    """A model URI is malformed or resolves to nothing."""


class NotFoundError(NbtrackError, LookupError):
    """Something looked up by id or name does not exist."""

    error_code = "RESOURCE_DOES_NOT_EXIST"


class ExperimentNotFoundError(NotFoundError):
    pass


class RunNotFoundError(NotFoundError):
    pass


class TagNotFoundError(NotFoundError, InvalidParameterError):
    """A tag asked to be deleted is not set (MLflow answers ``RESOURCE_DOES_NOT_EXIST``).

    It is also an :class:`InvalidParameterError`: the key given was wrong.
    """


class AmbiguousRunIdError(RunNotFoundError):
    """A run id prefix or run name matches more than one run; the message lists them."""


class StoreNotFoundError(NotFoundError, FileNotFoundError):
    """No store where one was looked for; read-only callers never create one."""


class ArtifactNotFoundError(NotFoundError, FileNotFoundError):
    pass


class RegisteredModelNotFoundError(NotFoundError):
    pass


class ModelVersionNotFoundError(NotFoundError):
    pass


class AlreadyExistsError(NbtrackError, ValueError):
    """A name that must be unique is taken."""

    error_code = "RESOURCE_ALREADY_EXISTS"


class ExperimentAlreadyExistsError(AlreadyExistsError):
    pass


class RegisteredModelAlreadyExistsError(AlreadyExistsError):
    pass


class NoActiveRunError(NbtrackError, RuntimeError):
    """A fluent logging call was made with no run started."""

    error_code = "BAD_REQUEST"

    def __init__(self, what: str = "log"):
        super().__init__(
            f"Cannot {what}: no active run. Start one with `with nbtrack.start_run(): ...`, "
            "`nbtrack.start_run()` (then `nbtrack.end_run()`), or the `%%track_run` cell magic."
        )


class RunStateError(NbtrackError, RuntimeError):
    """The run is in a state that does not allow the operation (deleted, already active...).

    The code is MLflow's for a write to a deleted run, ``INVALID_PARAMETER_VALUE``; starting a
    run while another is active carries ``INVALID_STATE``.
    """

    error_code = "INVALID_PARAMETER_VALUE"


class RunPrunedError(NbtrackError, RuntimeError):
    """Raised by ``nbtrack.report`` when Optuna prunes the sweep child that is running.

    ``%%track_sweep`` catches it: the child ends KILLED with tag ``nbtrack.pruned=true``.
    """

    def __init__(self, step: int):
        self.step = step
        super().__init__(f"pruned by Optuna at step {step}: this setting is unlikely to be the best")


class StoreError(NbtrackError, OSError):
    """The tracking store cannot be used."""


class StoreCorruptedError(StoreError):
    """A store file cannot be parsed; it is left untouched for inspection."""

    def __init__(self, path: str, reason: str):
        self.path = path
        super().__init__(
            f"Store file {path} is unreadable ({reason}). nbtrack will not overwrite it; "
            "restore it from a backup or move it aside."
        )


class StoreBusyError(StoreError, TimeoutError):
    """A store lock could not be taken in time."""

    error_code = "TEMPORARILY_UNAVAILABLE"


class StoreWriteError(StoreError):
    """Buffered metric points could not be written; they are kept in memory and retried.

    ``path`` is the file that could not be written and ``cause`` says why (disk full, read-only
    file system, permission denied, busy lock, unreadable file...).
    """

    def __init__(self, path: str, cause: str, detail: str = ""):
        self.path = path
        self.cause = cause
        super().__init__(f"Could not write {path}: {cause}.{' ' + detail if detail else ''}")


# The HTTP status an MLflow server answers each error code with (MLflow's REST API); the REST
# API of nbtrack's server extension uses this same table.
HTTP_STATUS = {
    "INTERNAL_ERROR": 500,
    "INVALID_STATE": 500,
    "DATA_LOSS": 500,
    "NOT_IMPLEMENTED": 501,
    "TEMPORARILY_UNAVAILABLE": 503,
    "DEADLINE_EXCEEDED": 504,
    "REQUEST_LIMIT_EXCEEDED": 429,
    "ABORTED": 409,
    "ENDPOINT_NOT_FOUND": 404,
    "RESOURCE_DOES_NOT_EXIST": 404,
    "PERMISSION_DENIED": 403,
    "UNAUTHENTICATED": 401,
    "BAD_REQUEST": 400,
    "RESOURCE_ALREADY_EXISTS": 400,
    "INVALID_PARAMETER_VALUE": 400,
}

# The code for an HTTP failure that is not an nbtrack error (an unknown route, a refused login).
_CODE_FOR_STATUS = {
    400: "BAD_REQUEST", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
    404: "ENDPOINT_NOT_FOUND", 405: "BAD_REQUEST", 409: "ABORTED", 429: "REQUEST_LIMIT_EXCEEDED",
    501: "NOT_IMPLEMENTED", 503: "TEMPORARILY_UNAVAILABLE", 504: "DEADLINE_EXCEEDED",
}


def error_code_for_status(status: int) -> str:
    """MLflow's error code for a bare HTTP status (``INTERNAL_ERROR`` when none fits)."""
    return _CODE_FOR_STATUS.get(status, "BAD_REQUEST" if 400 <= status < 500 else "INTERNAL_ERROR")


def describe_os_error(exc: BaseException) -> str:
    """A short human cause for an OS-level write failure (used in StoreWriteError messages)."""
    import errno

    causes = {
        errno.ENOSPC: "the disk is full",
        errno.EDQUOT: "the disk quota is exceeded",
        errno.EROFS: "the file system is read-only",
        errno.EACCES: "permission denied",
        errno.EPERM: "operation not permitted",
        errno.ENOENT: "the store folder no longer exists",
        errno.ENAMETOOLONG: "the file name is too long",
        errno.EIO: "an I/O error",
    }
    if isinstance(exc, StoreBusyError):
        return f"the store is busy ({exc})"
    if isinstance(exc, OSError) and exc.errno in causes:
        return f"{causes[exc.errno]} ({exc.strerror})"
    return f"{type(exc).__name__}: {exc}"


class ModelIntegrityError(NbtrackError, ValueError):
    """A logged model's files do not match the hashes in its manifest."""

    error_code = "DATA_LOSS"
