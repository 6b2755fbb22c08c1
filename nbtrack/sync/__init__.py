"""``nbtrack sync``: move experiments, runs, artifacts and the registry between a local nbtrack
store and an MLflow tracking store (a server, a ``./mlruns`` folder, a sqlite file).

Both directions go through MLflow's own client (the extra ``nbtrack[mlflow]``). A sync is
idempotent and resumable (see :mod:`nbtrack.sync._transfer` for how); the local id <-> remote id
pairs are kept in the local store, one document per remote.
"""
from __future__ import annotations

from collections.abc import Sequence

from ._mapping import IdMapping
from ._sides import LocalSide, MlflowSide, open_side
from ._transfer import SyncReport, Transfer, progress

__all__ = ["SyncReport", "pull", "push"]

#: A progress bar is shown from this many runs on (when tqdm is there and stderr is a terminal).
PROGRESS_FROM_RUNS = 20


def _sync(src: LocalSide | MlflowSide, dst: LocalSide | MlflowSide, local: LocalSide, remote_uri: str,
          experiments: Sequence[str] | None, dry_run: bool, show_progress: bool) -> SyncReport:
    transfer = Transfer(src, dst, IdMapping(local.store, remote_uri), src is local, dry_run)
    pairs = transfer.experiments(list(experiments) if experiments else None)
    work = [(run, dst_exp) for exp, dst_exp in pairs for run in transfer.runs_of(exp.experiment_id)]
    for run, dst_exp in progress(work, show_progress and len(work) >= PROGRESS_FROM_RUNS):
        transfer.run(run, dst_exp)
    transfer.registry(only_synced_runs=bool(experiments))
    return transfer.report


def push(local_uri: str, to_uri: str, experiments: Sequence[str] | None = None, *,
         dry_run: bool = False, show_progress: bool = True) -> SyncReport:
    """Copy the local store's experiments (all, or these names/ids), runs and registry to ``to_uri``.

    Parameters
    ----------
    local_uri : str
        The nbtrack store (path or URI).
    to_uri : str
        An MLflow tracking server ``http(s)://host:port`` (or any MLflow tracking URI).
    experiments : sequence of str, optional
        Experiment names or ids to push; default every active experiment.
    dry_run : bool
        List what would move (``report.plan``) without writing anything.

    Returns
    -------
    SyncReport
        Counts of what moved; ``writes`` is 0 when both sides already agree.
    """
    local = LocalSide(local_uri)
    remote = open_side(to_uri)
    if not isinstance(remote, MlflowSide):
        remote = MlflowSide(to_uri)
    return _sync(local, remote, local, remote.uri, experiments, dry_run, show_progress)


def pull(local_uri: str, from_uri: str, experiments: Sequence[str] | None = None, *,
         dry_run: bool = False, show_progress: bool = True) -> SyncReport:
    """Copy an MLflow tracking store's experiments, runs and registry into the local store.

    ``from_uri`` is a server (``http(s)://``), an MLflow ``./mlruns`` folder or
    ``sqlite:///mlflow.db`` (the latter needs SQLAlchemy and Alembic, as MLflow does). Other
    parameters and the result as for :func:`push`.
    """
    local = LocalSide(local_uri)
    remote = open_side(from_uri)
    if not isinstance(remote, MlflowSide):
        remote = MlflowSide(from_uri)
    return _sync(remote, local, local, remote.uri, experiments, dry_run, show_progress)
