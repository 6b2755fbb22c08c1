"""The ``nbtrack ui`` subcommand's arguments and action (the server itself loads only then)."""
from __future__ import annotations

import argparse
from typing import Any, TextIO

__all__ = ["UI_HELP", "add_ui_arguments", "run_ui"]

UI_HELP = "serve the dashboard on a plain Jupyter server (token auth), outside JupyterLab"


def add_ui_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("store", nargs="?", help="store folder or URI (default: the store the CLI finds)")
    p.add_argument("--port", type=int, help="port (default: 8888 or the next free one)")
    p.add_argument("--ip", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--allow-root", action="store_true", help="let root run the server (as jupyter does)")


def run_ui(ctx: Any, out: TextIO) -> None:
    """CLI action: resolve the store like every read-only command, then serve until Ctrl+C."""
    from ..server.standalone import launch
    from ..store import existing_store_uri

    args = ctx.args
    store = existing_store_uri(args.store or args.tracking_uri)
    out.write(f"nbtrack ui: serving {store}\n")
    out.flush()
    launch(store, args.port, args.ip, ["--ServerApp.allow_root=True"] if args.allow_root else [])
