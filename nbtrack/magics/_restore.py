"""``RestoreMagics``: ``%track_restore RUN`` puts a past run's code into the next cell."""
from __future__ import annotations

import ast

from IPython.core.magic import Magics, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments

import nbtrack

from ..provenance import Provenance, load_provenance
from ._args import parse_args
from ._run_ref import find_run

__all__ = ["RestoreMagics", "restore_text"]

SWEEP_LINE_TAG = "nbtrack.sweep.line"


def _literal(text: str) -> str:
    """A logged param as source: the text itself if it is a Python literal, else a string."""
    try:
        ast.literal_eval(text)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return repr(text)
    return text


def _assignments(prov: Provenance, all_params: bool) -> list[str]:
    """``name = value`` lines: sweep settings as recorded, other variables typed as logged."""
    params = prov.run.data.params
    names = list(prov.variables) + [k for k in params if all_params and k not in prov.variables]
    lines = [f"{name} = {source}" for name, source in prov.settings.items()]
    for name in names:
        if name in prov.settings or name not in params or not name.isidentifier():
            continue
        lines.append(f"{name} = {_literal(params[name])}")
    return lines


def restore_text(prov: Provenance, all_params: bool = False) -> str:
    """The cell that reproduces the run: assignments, then the recorded cell source.

    A sweep parent comes back as its ``%%track_sweep`` cell instead.
    """
    info = prov.run.info
    body = prov.source.rstrip("\n")
    line = prov.run.data.tags.get(SWEEP_LINE_TAG)
    if line is not None:
        return f"%%track_sweep {line}\n{body}\n"
    header = f"# restored from run {info.run_name!r} ({info.run_id})"
    return "\n".join([header, *_assignments(prov, all_params), body]) + "\n"


@magics_class
class RestoreMagics(Magics):
    """``%track_restore``."""

    @magic_arguments()
    @argument("run", help="Run id, unique id prefix (6+ characters) or run name.")
    @argument("-p", "--all-params", action="store_true",
              help="Assign every logged param that is a valid name, not only notebook variables.")
    @argument("--print", dest="print_only", action="store_true",
              help="Print the code instead of putting it in the next cell (consoles, headless runs).")
    @line_magic
    def track_restore(self, line: str) -> None:
        """Put a past run's code into the next cell, ready to run again.

        The new cell assigns the run's params that were notebook variables (``%%track_run -p``,
        papermill parameters), typed as they were logged (``0.05`` as a number, ``adam`` as a
        string), then holds the run's cell source. For a ``%%track_sweep`` child the
        assignments are that child's setting, so one child of a sweep is rerun on its own::

            %track_restore 3f9a1c        # unique id prefix, full id, or run name
            %track_restore best-run -p   # also assign every other logged param
            %track_restore best-run --print   # show the code here instead

        A sweep run comes back as its ``%%track_sweep`` cell. Everything is read from the
        store, so this works from a fresh kernel.
        """
        args = parse_args(self.track_restore, line)
        client = nbtrack.TrackingClient()
        run = find_run(client, args.run)
        text = restore_text(load_provenance(client, run), args.all_params)
        if args.print_only:
            print(text, end="")
            return
        assert self.shell is not None
        self.shell.set_next_input(text, replace=False)
        print(f"nbtrack: the code of run {run.info.run_name!r} ({run.info.run_id}) is in the next cell.")
