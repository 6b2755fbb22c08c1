"""SIGTERM writes buffered metric points before the process dies, and still dies by SIGTERM.

``multiprocessing.Pool.terminate()`` (and most process managers) end a worker with SIGTERM, whose
default action kills the process at once: the last ``FLUSH_INTERVAL_S`` of buffered points would
be lost although every ``log_metric`` call for them had returned. The metric buffer calls
:func:`install` when its flusher starts (the first point of a process, and again in a forked
child, whose buffer starts empty); the handler it installs writes the buffers, waiting at most
``FLUSH_TIMEOUT_S``, and then restores the default action and sends SIGTERM again, so the exit
status stays "killed by SIGTERM" (``exitcode == -15``) and a second SIGTERM kills at once.

What is promised: every point whose logging call returned before the SIGTERM arrived is written
once (the buffer's exactly-once rule), unless the write fails or takes longer than
``FLUSH_TIMEOUT_S``. Rules that keep it honest:

- Installed only from the main thread (Python runs signal handlers there) and only while the
  SIGTERM disposition is ``SIG_DFL``: a handler of the user's, ``SIG_IGN`` or one set from C is
  never replaced. A handler set later by the user replaces this one; nothing is chained behind it.
- Python runs the handler between bytecodes of the main thread, so a main thread busy in one long
  C call (not interrupted by signals) delays the exit until that call returns.
- The handler may interrupt the main thread inside the store (a flush of its own, holding the
  buffer's lock). Then the write is left to a helper thread and the handler returns, so the main
  thread can finish and release the lock; the helper then writes the rest and sends the SIGTERM.
"""
from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable
from types import FrameType

__all__ = ["FLUSH_TIMEOUT_S", "install"]

#: The longest a SIGTERM waits for buffered points to be written before the process dies.
FLUSH_TIMEOUT_S = 5.0

log = logging.getLogger("nbtrack.store")

_flush: Callable[[], None] | None = None
_STORE_PACKAGE = __name__.rpartition(".")[0]


def install(flush: Callable[[], None]) -> bool:
    """Make SIGTERM call ``flush`` first, if this is the main thread and SIGTERM is ``SIG_DFL``.

    Returns whether the handler is in place (installed now or before). ``flush`` must write every
    buffered point and report failures itself (it runs in a helper thread).
    """
    global _flush
    if threading.current_thread() is not threading.main_thread():
        return False
    current = signal.getsignal(signal.SIGTERM)
    if current is not _on_sigterm:
        if current is not signal.SIG_DFL:
            return False
        try:
            signal.signal(signal.SIGTERM, _on_sigterm)
        except ValueError:  # not the main interpreter
            return False
    _flush = flush
    return True


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if _inside_store(frame):
        try:
            threading.Thread(target=_flush_then_die, name="nbtrack-sigterm", daemon=True).start()
            return
        except RuntimeError:  # no new threads at interpreter shutdown
            _die()
    _flush_then_die()


def _inside_store(frame: FrameType | None) -> bool:
    """Whether the interrupted main thread is running store code (it may hold the flush lock)."""
    while frame is not None:
        if str(frame.f_globals.get("__name__", "")).startswith(_STORE_PACKAGE + "."):
            return True
        frame = frame.f_back
    return False


def _flush_then_die() -> None:
    flush = _flush
    if flush is not None:
        try:
            writer = threading.Thread(target=_flush_quietly, args=(flush,), name="nbtrack-sigterm-flush",
                                      daemon=True)
            writer.start()
            writer.join(FLUSH_TIMEOUT_S)
            if writer.is_alive():
                log.error("nbtrack: SIGTERM: buffered metric points not written within %.0f s", FLUSH_TIMEOUT_S)
        except RuntimeError:  # no new threads at interpreter shutdown
            _flush_quietly(flush)
    _die()


def _flush_quietly(flush: Callable[[], None]) -> None:
    try:
        flush()
    except Exception as exc:
        log.error("nbtrack: SIGTERM: could not write buffered metric points: %s", exc)


def _die() -> None:
    os.kill(os.getpid(), signal.SIGTERM)  # the default action is back: killed by SIGTERM
