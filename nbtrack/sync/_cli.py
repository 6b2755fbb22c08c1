"""The ``nbtrack sync`` subcommand (registered by :mod:`nbtrack.cli.commands`)."""
from __future__ import annotations

import argparse
from typing import Any, TextIO

from ..errors import NbtrackError, StoreError

SYNC_HELP = "push runs to an MLflow tracking server (--to) or pull them from an MLflow store (--from)"


def add_sync_arguments(p: argparse.ArgumentParser) -> None:
    """Declare ``sync``'s arguments."""
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--to", metavar="URL", help="MLflow tracking server to push to, e.g. http://host:5000")
    where.add_argument("--from", dest="from_", metavar="URI",
                       help="MLflow store to pull from: http(s)://host:port, ./mlruns or sqlite:///mlflow.db")
    p.add_argument("-e", "--experiment", action="append", help="experiment name or id (repeatable; default all)")
    p.add_argument("--dry-run", action="store_true", help="list what would move, write nothing")


def run_sync(ctx: Any, out: TextIO) -> None:
    """Run one sync between the CLI's store and ``--to`` / ``--from``; print what moved.

    A push reads an existing store (StoreNotFoundError otherwise); a pull may create it.
    """
    from ..store import existing_store_uri
    from . import pull, push

    args = ctx.args
    try:
        if args.to:
            local = existing_store_uri(args.tracking_uri)
            report = push(local, args.to, args.experiment, dry_run=args.dry_run)
        else:
            report = pull(ctx.client.tracking_uri, args.from_, args.experiment, dry_run=args.dry_run)
    except NbtrackError:
        raise
    except Exception as exc:  # noqa: BLE001 - MLflow's client failures, reported as ours
        from ..store.mlflow._connection import cause_of

        where = args.to or args.from_
        raise StoreError(f"sync with {where} stopped: {cause_of(exc)}; rerun to resume") from None
    if args.dry_run:
        out.writelines(f"  {line}\n" for line in report.plan)
    out.write(report.summary() + "\n")
