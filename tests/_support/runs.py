"""Reading back what a test's runs stored."""
from __future__ import annotations

from pathlib import Path

import nbtrack


def all_runs(client: nbtrack.TrackingClient) -> list[nbtrack.Run]:
    """Every run of every experiment, oldest first."""
    ids = [e.experiment_id for e in client.search_experiments()]
    return sorted(client.search_runs(ids, max_results=1000), key=lambda r: r.info.start_time)


def runs_by_name(client: nbtrack.TrackingClient) -> dict[str, nbtrack.Run]:
    ids = [e.experiment_id for e in client.search_experiments()]
    return {r.info.run_name: r for r in client.search_runs(ids, max_results=1000)}


def artifact_text(client: nbtrack.TrackingClient, run_id: str, path: str, dest: Path) -> str:
    """The text of one artifact, downloaded under ``dest``."""
    local = client.download_artifacts(run_id, path, str(dest / f"dl-{run_id}-{path.replace('/', '_')}"))
    return Path(local).read_text(encoding="utf-8")
