"""``import nbtrack``: light (no GUI / server / data-science stacks) and complete."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import tomllib

import nbtrack

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("ipywidgets", "bqplot", "jupyter_server", "matplotlib", "pandas", "numpy")


def _fresh_python(code: str) -> str:
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    return out.stdout.strip()


def test_import_loads_no_heavy_modules():
    loaded = _fresh_python(
        "import sys, nbtrack; "
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    assert loaded == ""


def test_import_time_is_reported(capsys):
    """Measured with -X importtime in a fresh interpreter; reported, not asserted (shared CPU)."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import nbtrack"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=True,
    )
    cumulative = [
        int(line.split("|")[1]) for line in proc.stderr.splitlines() if line.rstrip().endswith("| nbtrack")
    ]
    assert len(cumulative) == 1
    with capsys.disabled():
        print(f"\n[import nbtrack: {cumulative[0] / 1000:.1f} ms cumulative, -X importtime]")


def test_lazy_sklearn_submodule_loads_on_access():
    assert _fresh_python(
        "import sys, nbtrack; a = 'nbtrack.sklearn' in sys.modules; nbtrack.sklearn; "
        "print(a, 'nbtrack.sklearn' in sys.modules)"
    ) == "False True"


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no_such_thing"):
        nbtrack.no_such_thing  # noqa: B018


def test_public_names_are_exported():
    for name in (
        "set_tracking_uri", "get_tracking_uri", "set_experiment", "create_experiment", "start_run",
        "end_run", "active_run", "last_active_run", "log_param", "log_params", "log_metric",
        "log_metrics", "set_tag", "set_tags", "log_artifact", "log_artifacts", "log_text",
        "log_dict", "log_figure", "search_runs", "get_experiment_by_name", "flush", "log_model",
        "load_model", "register_model", "TrackingClient", "NbtrackError", "NoActiveRunError",
        "RunStateError", "Run", "Metric", "ViewType", "load_ipython_extension",
    ):
        assert name in nbtrack.__all__, name
        assert hasattr(nbtrack, name), name


def test_version_matches_pyproject():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert nbtrack.__version__ == meta["project"]["version"]


def test_errors_are_builtins_too():
    assert issubclass(nbtrack.RunNotFoundError, LookupError)
    assert issubclass(nbtrack.InvalidParameterError, ValueError)
    assert issubclass(nbtrack.NoActiveRunError, nbtrack.NbtrackError)


def test_ipython_extension_entry_points():
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    ip = InteractiveShell.instance(config=config)
    nbtrack.load_ipython_extension(ip)
    try:
        assert "track_run" in ip.magics_manager.magics["cell"]
    finally:
        nbtrack.unload_ipython_extension(ip)


def test_dir_lists_only_public_api():
    import nbtrack

    names = dir(nbtrack)
    assert "Any" not in names and "annotations" not in names and "fluent" not in names
    assert {"start_run", "log_metric", "TrackingClient", "NbtrackError", "__version__"} <= set(names)
    assert all(hasattr(nbtrack, name) for name in names)
