"""Run notebooks in real kernels (nbclient, papermill, nbconvert) against a store in tmp_path."""
from __future__ import annotations

import queue
import time
from typing import Any

from tests._support.env import REPO
from tests._support.kernels import (
    IOPUB_S,
    KERNEL,
    KERNEL_READY_S,
    TIMEOUT_S,
    execute,
    notebook,
    output_text,
)
from tests._support.runs import artifact_text, runs_by_name
from tests._support.store import client, store_uri

__all__ = ["IOPUB_S", "KERNEL", "KERNEL_READY_S", "NOTEBOOKS", "TIMEOUT_S", "artifact_text", "execute", "notebook",
           "output_text", "runs_by_name", "client", "store_uri", "wait_until_replying"]

NOTEBOOKS = REPO / "notebooks"


def wait_until_replying(kc: Any, timeout: float = KERNEL_READY_S) -> dict[str, Any]:
    """Block until the kernel answers a ``kernel_info_request``; returns the reply.

    A client built from a connection file has no process to poll, and its ``wait_for_ready``
    takes missed heartbeats for a dead kernel, which a busy machine produces. A reply on the
    shell channel is proof of life. A request sent before the kernel's sockets were up may be
    dropped, so it is sent again every few seconds.
    """
    deadline = time.monotonic() + timeout
    kc.kernel_info()
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"the kernel did not answer kernel_info within {timeout} s")
        try:
            reply = kc.get_shell_msg(timeout=min(remaining, 5.0))
        except queue.Empty:
            kc.kernel_info()
            continue
        if reply["msg_type"] == "kernel_info_reply":
            _drain(kc.get_iopub_msg)
            return reply


def _drain(get: Any) -> None:
    """Drop the messages already waiting on a channel (startup status and stream noise)."""
    while True:
        try:
            get(timeout=0.2)
        except queue.Empty:
            return
