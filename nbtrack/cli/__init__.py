"""The ``nbtrack`` command line (``python -m nbtrack.cli`` or the ``nbtrack`` script).

:mod:`.commands` holds the subcommand table and :func:`main`; :mod:`.ui` the ``nbtrack ui``
server. ``nbtrack sync`` and ``nbtrack report`` register from their own packages.
"""
from __future__ import annotations

from .commands import COMMANDS, Command, Context, main

__all__ = ["COMMANDS", "Command", "Context", "main"]
