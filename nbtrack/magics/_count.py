"""Which prompt number ``In [n]`` the cell being run has, whatever the IPython release.

IPython 8 increments ``shell.execution_count`` after a cell runs; IPython 9.10+ increments it
before, so during a cell it already names the *next* prompt. The ``ExecutionResult`` of the
cell being run carries the right number in both, and the display hook holds it while the cell
runs. Code compiled inside a cell (a ``%%track_run`` body run through ``run_cell``) is named
after ``shell.execution_count`` by IPython; :func:`compiled_as` names it after the cell, so
tracebacks read ``Cell In[n]`` under prompt ``[n]``.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["cell_number", "compiled_as", "running_cell_number"]


def running_cell_number(shell: Any) -> int | None:
    """The prompt number of the cell running now, or None outside a stored cell."""
    result = getattr(getattr(shell, "displayhook", None), "exec_result", None)
    count = getattr(result, "execution_count", None)
    return count if isinstance(count, int) else None


def cell_number(shell: Any) -> int | None:
    """The prompt number of the cell running now; outside a cell, the next prompt's number."""
    count = running_cell_number(shell)
    if count is None:
        count = getattr(shell, "execution_count", None)
    return count if isinstance(count, int) else None


@contextmanager
def compiled_as(shell: Any, number: int | None) -> Iterator[None]:
    """While inside, code the shell compiles is named after cell ``number`` (None: unchanged)."""
    compiler = getattr(shell, "compile", None)
    if number is None or compiler is None or "cache" in vars(compiler):
        yield  # unknown number, or already renamed by an enclosing tracked cell
        return
    original = compiler.cache

    def cache(transformed_code: str, number_: int = 0, raw_code: str | None = None) -> str:
        return original(transformed_code, number, raw_code)

    compiler.cache = cache
    try:
        yield
    finally:
        del compiler.cache
