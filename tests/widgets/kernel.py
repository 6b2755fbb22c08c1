"""Start a real ipykernel for a test (IPC transport: no TCP port races on a shared machine)."""
from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from jupyter_client import KernelManager

from .conftest import REPO


@contextlib.contextmanager
def running_kernel(folder: Path, store: Path) -> Iterator:
    """A started kernel client on ``store``; the kernel is shut down on exit."""
    env = {**os.environ, "NBTRACK_TRACKING_URI": str(store),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    km = KernelManager(kernel_name="python3", transport="ipc", ip=str(folder / "k"))
    km.start_kernel(env=env, cwd=str(folder))
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=180)  # a kernel_info reply; liveness from the process we own
        yield kc
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
