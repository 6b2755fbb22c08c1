"""Who and where: the current user, this host's name, and whether a process on it is alive.

Runs record their user (``mlflow.user``), host and pid; registry changes record who made them;
stale-run detection asks whether the recorded process still exists. One answer for each, so a
run and an audit event written by the same person never disagree.
"""
from __future__ import annotations

import functools
import getpass
import os
import socket
from typing import Any

__all__ = ["current_user", "host_name", "pid_alive", "UNKNOWN"]

UNKNOWN = "unknown"


def current_user() -> str:
    """The login name (``$LOGNAME``, ``$USER``, ... then the user database), else ``"unknown"``.

    Some containers run under a uid with no passwd entry and no such variable; recording
    ``"unknown"`` there beats failing the run.
    """
    for name in ("LOGNAME", "USER", "LNAME", "USERNAME"):  # getpass.getuser's order
        user = os.environ.get(name)
        if user:
            return user
    return _user_of_uid(os.getuid() if hasattr(os, "getuid") else -1)


@functools.lru_cache(maxsize=4)
def _user_of_uid(uid: int) -> str:
    """The user database's name for ``uid`` (a lookup that cost ~0.1-0.3 ms a run start)."""
    try:
        return getpass.getuser() or UNKNOWN
    except Exception:  # noqa: BLE001 - getpass raises OSError or KeyError depending on version
        return UNKNOWN


@functools.lru_cache(maxsize=1)
def host_name() -> str:
    """This machine's host name, else ``"unknown"``."""
    try:
        return socket.gethostname() or UNKNOWN
    except OSError:
        return UNKNOWN


def pid_alive(pid: Any) -> bool:
    """True if a process with this pid exists on this host and is not a zombie.

    Anything but a positive int (a missing or garbled record) counts as not alive.
    """
    if type(pid) is not int or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            state = fh.read().rsplit(b")", 1)[1].split()[0]
        return state not in (b"Z", b"X")
    except (OSError, IndexError):
        return True
