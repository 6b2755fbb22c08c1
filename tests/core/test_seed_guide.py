"""Every non-registry code block of the seed guide "Tracking Experiments", run under nbtrack names.

The blocks are kept verbatim (MLflow names) and translated the way the guide's readers would:
``import mlflow`` -> ``import nbtrack``, ``mlflow.`` -> ``nbtrack.``, ``MlflowClient`` ->
``nbtrack.TrackingClient`` (``from mlflow.tracking import MlflowClient`` -> ``from nbtrack import
TrackingClient as MlflowClient``). Each runs in a fresh working directory with the default
store (``./nbtrack-store``) and the helpers the guide assumes (``train_epoch``, ``validate``,
``model``, ``data``); the assertions check what the guide says happens.
"""
from __future__ import annotations

import ast
import contextlib
import io
import os
import pickle
import socket
from pathlib import Path

import pytest

import nbtrack
from nbtrack import InvalidFilterError, NbtrackError, NoActiveRunError, RunStatus, TrackingClient

SEED = Path(os.environ.get("NBTRACK_SEED_GUIDE", "/work/shared/seed/tracking-experiments.md"))

WHAT_GETS_TRACKED = '''
import mlflow

# All of these are tracked in MLflow:
with mlflow.start_run():
    # Parameters - configuration values
    mlflow.log_param("learning_rate", 0.001)
    
    # Metrics - performance values
    mlflow.log_metric("accuracy", 0.95)
    
    # Artifacts - files (models, plots, etc)
    mlflow.log_artifact("model.pkl")
'''

CREATE_EXPERIMENT = '''
import mlflow

# Set active experiment (creates if doesn't exist)
mlflow.set_experiment("my_first_experiment")

# Or explicitly create
from mlflow.tracking import MlflowClient
client = MlflowClient()
exp = client.create_experiment(
    "my_experiment",
    artifact_location="./artifacts"  # Optional
)
'''

LIST_EXPERIMENTS = '''
from mlflow.tracking import MlflowClient

client = MlflowClient("http://localhost:5000")
experiments = client.list_experiments()

for exp in experiments:
    print(f"{exp.name} (ID: {exp.experiment_id})")
'''

DELETE_EXPERIMENT = '''
client.delete_experiment(experiment_id)
'''

RESTORE_EXPERIMENT = '''
# Or restore deleted
client.restore_experiment(experiment_id)
'''

START_AND_END_RUNS = '''
import mlflow

# Start run (automatically assigned ID)
with mlflow.start_run():
    # Your code here
    pass

# Or manually manage lifecycle
run = mlflow.start_run()
run_id = run.info.run_id

# Do work...

mlflow.end_run()
'''

NAMED_RUNS = '''
# Descriptive run names help identify experiments
with mlflow.start_run(run_name="v1_baseline_lr0.001"):
    # Training code
    pass
'''

GET_RUN_INFORMATION = '''
from mlflow.tracking import MlflowClient

client = MlflowClient()
run = client.get_run(run_id)

print(f"Status: {run.info.status}")
print(f"Start time: {run.info.start_time}")
print(f"Duration: {run.info.end_time - run.info.start_time}")
'''

LOGGING_PARAMETERS = '''
import mlflow

with mlflow.start_run():
    # Single parameter
    mlflow.log_param("model", "random_forest")
    mlflow.log_param("n_estimators", 100)
    
    # Multiple parameters
    params = {
        "max_depth": 10,
        "min_samples_split": 2,
        "random_state": 42
    }
    mlflow.log_params(params)
'''

QUERYING_PARAMETERS = '''
client = MlflowClient()

# Get specific run
run = client.get_run(run_id)

# Access parameters
params = run.data.params
print(f"Learning rate: {params.get('learning_rate')}")
'''

LOGGING_METRICS = '''
import mlflow

with mlflow.start_run():
    # Single metric
    mlflow.log_metric("accuracy", 0.95)
    
    # With step (for tracking progression)
    for epoch in range(10):
        loss = train_epoch()
        mlflow.log_metric("loss", loss, step=epoch)
    
    # Multiple metrics
    mlflow.log_metrics({
        "accuracy": 0.95,
        "precision": 0.93,
        "recall": 0.94
    })
'''

TIME_SERIES_METRICS = '''
import mlflow

with mlflow.start_run():
    # Track over epochs
    losses = []
    for epoch in range(100):
        loss = train_epoch(epoch)
        losses.append(loss)
        mlflow.log_metric("train_loss", loss, step=epoch)
        
        if epoch % 10 == 0:
            val_loss = validate(epoch)
            mlflow.log_metric("val_loss", val_loss, step=epoch)
'''

QUERY_METRICS = '''
client = MlflowClient()
run = client.get_run(run_id)

# Get metric history
metric_history = client.get_metric_history(run_id, "accuracy")
for metric in metric_history:
    print(f"Step {metric.step}: {metric.value}")
'''

LOG_FILES = """
import mlflow

with mlflow.start_run():
    # Save file then log
    with open('model.pkl', 'wb') as f:
        pickle.dump(model, f)
    
    mlflow.log_artifact('model.pkl')
"""

LOG_DIRECTORIES = """
# Log entire directory
mlflow.log_artifacts('models/')  # All files in models/

# With artifact path (creates subdirectory)
mlflow.log_artifacts('plots/', artifact_path='visualizations')
"""

LOG_VISUALIZATIONS = """
import matplotlib.pyplot as plt
import mlflow

with mlflow.start_run():
    # Create visualization
    plt.figure(figsize=(10, 6))
    plt.plot(data)
    plt.xlabel('Epoch')
    plt.ylabel('Loss')
    plt.title('Training Progress')
    
    # Save and log
    plt.savefig('plot.png')
    mlflow.log_artifact('plot.png')
    plt.close()
"""

DOWNLOAD_ARTIFACTS = """
client = MlflowClient()

# List artifacts
artifacts = client.list_artifacts(run_id)
for artifact in artifacts:
    print(f"{artifact.path} ({'file' if artifact.is_dir == False else 'dir'})")

# Download artifact
artifact = client.download_artifacts(run_id, 'model.pkl')
"""

SEARCH_RUNS = '''
from mlflow.tracking import MlflowClient

client = MlflowClient()

# Get all runs in experiment
runs = client.search_runs(experiment_ids=["0"])

# Search with filter
best_runs = client.search_runs(
    experiment_ids=["0"],
    filter_string="metrics.accuracy >= 0.9",
    order_by=["metrics.accuracy DESC"],
    max_results=5
)

for run in best_runs:
    print(f"Run: {run.info.run_name}, Accuracy: {run.data.metrics['accuracy']}")
'''

FILTER_STRING_SYNTAX = '''
# Filter by metric
"metrics.accuracy > 0.95"

# Filter by parameter
"params.learning_rate = 0.001"

# Filter by tag
"tags.status = 'completed'"

# Complex filters
"metrics.accuracy > 0.9 AND params.model = 'rf'"
'''

COMPARE_PROGRAMMATICALLY = '''
from mlflow.tracking import MlflowClient

client = MlflowClient()

# Get runs
run1 = client.get_run(run_id_1)
run2 = client.get_run(run_id_2)

# Compare parameters
print("Run 1 params:", run1.data.params)
print("Run 2 params:", run2.data.params)

# Compare metrics
print("Run 1 accuracy:", run1.data.metrics['accuracy'])
print("Run 2 accuracy:", run2.data.metrics['accuracy'])
'''

SET_TAGS = '''
import mlflow

with mlflow.start_run():
    # Single tag
    mlflow.set_tag("model_type", "random_forest")
    mlflow.set_tag("team", "ml-research")
    
    # Multiple tags
    mlflow.set_tags({
        "author": "alice",
        "version": "v1.0",
        "status": "completed"
    })
'''

FILTER_BY_TAGS = '''
client = MlflowClient()

# Search runs with specific tag
runs = client.search_runs(
    experiment_ids=["0"],
    filter_string="tags.status = 'completed'"
)
'''

CHECK_RUN_STATUS = '''
client = MlflowClient()
run = client.get_run(run_id)

print(f"Status: {run.info.status}")
print(f"Lifecycle: {run.info.lifecycle_stage}")

if run.info.status == "FAILED":
    print("Check logs and artifacts for errors")
'''

VIEW_ARTIFACTS_FOR_CLUES = '''
client.download_artifacts(run_id, '.')
'''

BLOCKS = [
    WHAT_GETS_TRACKED, CREATE_EXPERIMENT, LIST_EXPERIMENTS, DELETE_EXPERIMENT, RESTORE_EXPERIMENT,
    START_AND_END_RUNS, NAMED_RUNS, GET_RUN_INFORMATION, LOGGING_PARAMETERS, QUERYING_PARAMETERS,
    LOGGING_METRICS, TIME_SERIES_METRICS, QUERY_METRICS, LOG_FILES, LOG_DIRECTORIES,
    LOG_VISUALIZATIONS, DOWNLOAD_ARTIFACTS, SEARCH_RUNS, FILTER_STRING_SYNTAX,
    COMPARE_PROGRAMMATICALLY, SET_TAGS, FILTER_BY_TAGS, CHECK_RUN_STATUS, VIEW_ARTIFACTS_FOR_CLUES,
]


def translate(source: str) -> str:
    """Read the guide's MLflow names as nbtrack names."""
    source = source.replace("from mlflow.tracking import MlflowClient", "from nbtrack import TrackingClient as MlflowClient")
    source = source.replace("import mlflow", "import nbtrack")
    source = source.replace("mlflow.", "nbtrack.")
    return source


class Guide:
    """A scratch namespace the guide's blocks share, like one notebook session."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.ns: dict = {
            "nbtrack": nbtrack,
            "MlflowClient": TrackingClient,
            "pickle": pickle,
            "train_epoch": lambda epoch=0: 1.0 / (epoch + 1),
            "validate": lambda epoch=0: 1.5 / (epoch + 1),
            "model": {"weights": [0.1, 0.2], "kind": "toy"},
            "data": [1.0 / (i + 1) for i in range(20)],
        }

    def run(self, block: str, **variables) -> str:
        """Execute one translated block; returns what it printed."""
        self.ns.update(variables)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(translate(block), "<seed guide>", "exec"), self.ns)
        return out.getvalue()

    def eval(self, block: str, **variables):
        """Evaluate a one-expression block and return its value."""
        self.ns.update(variables)
        return eval(translate(block).strip(), self.ns)

    @property
    def client(self) -> TrackingClient:
        return TrackingClient()

    def runs(self, experiment_id: str = "0"):
        return list(self.client.search_runs([experiment_id]))


@pytest.fixture
def guide(tmp_path, monkeypatch) -> Guide:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.delenv("NBTRACK_TRACKING_URI", raising=False)
    monkeypatch.delenv("NBTRACK_EXPERIMENT_NAME", raising=False)
    monkeypatch.delenv("NBTRACK_EXPERIMENT_ID", raising=False)
    nbtrack.set_tracking_uri(None)
    (work / "model.pkl").write_bytes(pickle.dumps({"weights": [1, 2]}))
    return Guide(work)


@pytest.mark.skipif(not SEED.exists(), reason="seed guide not on this machine")
def test_blocks_are_verbatim_from_the_guide():
    text = SEED.read_text()
    for block in BLOCKS:
        assert block.strip() in text, block[:80]


def test_translation():
    assert translate(CREATE_EXPERIMENT).count("nbtrack.set_experiment") == 1
    assert "from nbtrack import TrackingClient as MlflowClient" in translate(LIST_EXPERIMENTS)
    assert "mlflow" not in translate(WHAT_GETS_TRACKED)


def test_what_gets_tracked(guide):
    guide.run(WHAT_GETS_TRACKED)
    (run,) = guide.runs()
    assert run.info.status == RunStatus.FINISHED
    assert run.data.params == {"learning_rate": "0.001"}
    assert run.data.metrics == {"accuracy": 0.95}
    assert [a.path for a in guide.client.list_artifacts(run.info.run_id)] == ["model.pkl"]
    assert (guide.workdir / "nbtrack-store").is_dir()  # the default store, beside the "notebook"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_create_list_delete_restore_experiments(guide):
    guide.run(CREATE_EXPERIMENT)
    exp_id = guide.ns["exp"]
    client = guide.client
    assert client.get_experiment_by_name("my_first_experiment") is not None
    created = client.get_experiment(exp_id)
    assert created.name == "my_experiment"
    assert created.artifact_location == str(guide.workdir.resolve() / "artifacts")
    with nbtrack.start_run() as active:  # set_experiment made my_first_experiment active
        pass
    assert client.get_experiment(active.info.experiment_id).name == "my_first_experiment"

    # The http URI is an MLflow tracking server; with none listening the error names it...
    port = _closed_port()
    with pytest.raises(NbtrackError, match=f"127.0.0.1:{port}|nbtrack\\[mlflow\\]"):
        guide.run(LIST_EXPERIMENTS.replace("localhost:5000", f"127.0.0.1:{port}"))
    # ...and with the default (local) client the block lists every experiment.
    printed = guide.run(LIST_EXPERIMENTS.replace('"http://localhost:5000"', ""))
    assert printed.splitlines() == [
        "Default (ID: 0)", "my_first_experiment (ID: 1)", f"my_experiment (ID: {exp_id})",
    ]

    guide.run(DELETE_EXPERIMENT, experiment_id=exp_id)
    assert client.get_experiment(exp_id).lifecycle_stage == "deleted"
    assert "my_experiment" not in guide.run(LIST_EXPERIMENTS.replace('"http://localhost:5000"', ""))
    guide.run(RESTORE_EXPERIMENT)
    assert client.get_experiment(exp_id).lifecycle_stage == "active"


def test_start_end_and_named_runs(guide):
    guide.run(START_AND_END_RUNS)
    run_id = guide.ns["run_id"]
    runs = guide.runs()
    assert len(runs) == 2 and {r.info.status for r in runs} == {RunStatus.FINISHED}
    assert nbtrack.active_run() is None
    guide.run(NAMED_RUNS)
    assert guide.runs()[0].info.run_name == "v1_baseline_lr0.001"

    printed = guide.run(GET_RUN_INFORMATION, run_id=run_id).splitlines()
    info = guide.client.get_run(run_id).info
    assert printed == [
        "Status: FINISHED", f"Start time: {info.start_time}", f"Duration: {info.end_time - info.start_time}",
    ]
    assert info.end_time - info.start_time >= 0


def test_parameters(guide):
    guide.run(LOGGING_PARAMETERS)
    (run,) = guide.runs()
    assert run.data.params == {
        "model": "random_forest", "n_estimators": "100", "max_depth": "10",
        "min_samples_split": "2", "random_state": "42",
    }
    guide.run(WHAT_GETS_TRACKED)
    lr_run = guide.client.search_runs(["0"], "params.learning_rate = '0.001'")[0]
    printed = guide.run(QUERYING_PARAMETERS, run_id=lr_run.info.run_id)
    assert printed == "Learning rate: 0.001\n"
    assert guide.run(QUERYING_PARAMETERS, run_id=run.info.run_id) == "Learning rate: None\n"


def test_metrics_and_history(guide):
    guide.run(LOGGING_METRICS)
    (run,) = guide.runs()
    client = guide.client
    assert [(m.step, m.value) for m in client.get_metric_history(run.info.run_id, "loss")] == [(e, 1.0) for e in range(10)]
    assert run.data.metrics == {"accuracy": 0.95, "loss": 1.0, "precision": 0.93, "recall": 0.94}
    printed = guide.run(QUERY_METRICS, run_id=run.info.run_id)
    assert printed.splitlines() == ["Step 0: 0.95", "Step 0: 0.95"]  # logged twice, as the block does

    guide.run(TIME_SERIES_METRICS)
    series = guide.runs()[0].info.run_id
    train = client.get_metric_history(series, "train_loss")
    val = client.get_metric_history(series, "val_loss")
    assert [m.step for m in train] == list(range(100))
    assert train[-1].value == pytest.approx(1 / 100)
    assert [m.step for m in val] == list(range(0, 100, 10))
    assert len(guide.ns["losses"]) == 100


def test_artifacts(guide, tmp_path):
    guide.run(LOG_FILES)
    (run,) = guide.runs()
    run_id = run.info.run_id
    client = guide.client

    # The guide's "Log Directories" block assumes a run is active (MLflow would start one
    # silently; nbtrack says how to start one).
    for folder in ("models", "plots"):
        (guide.workdir / folder).mkdir()
    (guide.workdir / "models" / "weights.bin").write_bytes(b"\x00\x01")
    (guide.workdir / "plots" / "curve.svg").write_text("<svg/>")
    with pytest.raises(NoActiveRunError, match="start_run"):
        guide.run(LOG_DIRECTORIES)
    with nbtrack.start_run(run_id=run_id):
        guide.run(LOG_DIRECTORIES)

    import matplotlib

    matplotlib.use("Agg")
    guide.run(LOG_VISUALIZATIONS)
    plot_run = guide.runs()[0].info.run_id
    assert [a.path for a in client.list_artifacts(plot_run)] == ["plot.png"]

    printed = guide.run(DOWNLOAD_ARTIFACTS, run_id=run_id)
    assert printed.splitlines() == ["model.pkl (file)", "visualizations (dir)", "weights.bin (file)"]
    local = Path(guide.ns["artifact"])
    assert pickle.loads(local.read_bytes()) == guide.ns["model"]

    everything = Path(guide.eval(VIEW_ARTIFACTS_FOR_CLUES, client=client, run_id=run_id))
    files = sorted(p.relative_to(everything).as_posix() for p in everything.rglob("*") if p.is_file())
    assert files == ["model.pkl", "visualizations/curve.svg", "weights.bin"]


def _seed_search_runs(client: TrackingClient) -> dict[str, str]:
    ids = {}
    for name, acc, model, status in [
        ("rf-small", 0.85, "rf", "draft"), ("rf-big", 0.97, "rf", "completed"),
        ("lr", 0.91, "lr", "completed"), ("rf-mid", 0.93, "rf", "draft"),
    ]:
        run_id = client.create_run("0", run_name=name).info.run_id
        client.log_metric(run_id, "accuracy", acc)
        client.log_param(run_id, "model", model)
        client.log_param(run_id, "learning_rate", 0.001 if model == "rf" else 0.01)
        client.set_tag(run_id, "status", status)
        client.set_terminated(run_id)
        ids[name] = run_id
    return ids


def test_search_runs(guide):
    _seed_search_runs(guide.client)
    printed = guide.run(SEARCH_RUNS)
    assert len(guide.ns["runs"]) == 4
    assert printed.splitlines() == [
        "Run: rf-big, Accuracy: 0.97", "Run: rf-mid, Accuracy: 0.93", "Run: lr, Accuracy: 0.91",
    ]


def test_filter_string_syntax(guide):
    _seed_search_runs(guide.client)
    guide.run(FILTER_STRING_SYNTAX)  # the block itself is bare strings: it runs and does nothing
    body = ast.parse(translate(FILTER_STRING_SYNTAX)).body
    filters = [node.value.value for node in body if isinstance(node, ast.Expr)]
    assert len(filters) == 4
    search = lambda f: {r.info.run_name for r in guide.client.search_runs(["0"], f)}  # noqa: E731
    assert search(filters[0]) == {"rf-big"}
    assert search(filters[2]) == {"rf-big", "lr"}
    assert search(filters[3]) == {"rf-big", "rf-mid"}
    # Param values are strings: like MLflow, an unquoted number is an error, one that says
    # how to fix it; the quoted form finds the runs.
    assert filters[1] == "params.learning_rate = 0.001"
    with pytest.raises(InvalidFilterError, match="quote it: '0.001'"):
        search(filters[1])
    assert search("params.learning_rate = '0.001'") == {"rf-small", "rf-big", "rf-mid"}


def test_compare_runs_programmatically(guide):
    ids = _seed_search_runs(guide.client)
    printed = guide.run(COMPARE_PROGRAMMATICALLY, run_id_1=ids["rf-big"], run_id_2=ids["lr"])
    assert printed.splitlines() == [
        "Run 1 params: {'model': 'rf', 'learning_rate': '0.001'}",
        "Run 2 params: {'model': 'lr', 'learning_rate': '0.01'}",
        "Run 1 accuracy: 0.97",
        "Run 2 accuracy: 0.91",
    ]


def test_tags_and_filter_by_tags(guide):
    guide.run(SET_TAGS)
    with nbtrack.start_run(run_name="untagged"):
        pass
    tagged = guide.runs()[1]
    assert {k: v for k, v in tagged.data.tags.items() if not k.startswith("mlflow.")} == {
        "model_type": "random_forest", "team": "ml-research", "author": "alice",
        "version": "v1.0", "status": "completed",
    }
    guide.run(FILTER_BY_TAGS)
    assert [r.info.run_id for r in guide.ns["runs"]] == [tagged.info.run_id]


def test_debugging_failed_runs(guide):
    with pytest.raises(RuntimeError), nbtrack.start_run() as failed:
        nbtrack.log_text("Traceback: out of memory", "error.txt")
        raise RuntimeError("out of memory")
    printed = guide.run(CHECK_RUN_STATUS, run_id=failed.info.run_id)
    assert printed.splitlines() == ["Status: FAILED", "Lifecycle: active", "Check logs and artifacts for errors"]
    folder = Path(guide.eval(VIEW_ARTIFACTS_FOR_CLUES, client=guide.client, run_id=failed.info.run_id))
    assert (folder / "error.txt").read_text() == "Traceback: out of memory"
    with nbtrack.start_run() as ok:
        pass
    assert "Check logs" not in guide.run(CHECK_RUN_STATUS, run_id=ok.info.run_id)
