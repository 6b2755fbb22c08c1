"""The seed guide's "Model Registry" blocks, run as written under nbtrack names in a real IPython shell.

The guide is ``shared/seed/tracking-experiments.md`` beside the repo. Its four blocks are copied
below after the only renames nbtrack needs (``mlflow`` -> ``nbtrack``, ``MlflowClient`` ->
``TrackingClient``); a test checks the copies still match the guide whenever it is present.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config

import nbtrack
from nbtrack.errors import ModelVersionNotFoundError

SEED = Path(__file__).resolve().parents[3] / "shared" / "seed" / "tracking-experiments.md"

# What the guide leaves to the reader ("# Train model...", X_test): iris, as the guide's names say.
SETUP = """
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split

X, y = load_iris(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=42)
model = RandomForestClassifier(n_estimators=25, random_state=42).fit(X_train, y_train)
"""

REGISTER_MODEL = '''import nbtrack

with nbtrack.start_run():
    # Train model...
    
    # Register model
    nbtrack.sklearn.log_model(
        model,
        "model",
        registered_model_name="iris_classifier"
    )'''

MANAGE_VERSIONS = '''from nbtrack import TrackingClient

client = TrackingClient()

# Get registered model
model = client.get_registered_model("iris_classifier")
print(f"Versions: {len(model.latest_versions)}")

# Get specific version
version = client.get_model_version("iris_classifier", 1)
print(f"Status: {version.status}")'''

STAGE_TRANSITIONS = '''client = TrackingClient()

# Move version to different stage
client.transition_model_version_stage(
    name="iris_classifier",
    version=1,
    stage="Staging"  # or "Production"
)

# Get production model
prod_versions = client.get_latest_versions("iris_classifier", stages=["Production"])
if prod_versions:
    print(f"Production version: {prod_versions[0].version}")'''

LOAD_MODEL = '''import nbtrack

# Load production version
model = nbtrack.sklearn.load_model(
    "models:/iris_classifier/Production"
)

# Use model
predictions = model.predict(X_test)'''

BLOCKS = [REGISTER_MODEL, MANAGE_VERSIONS, STAGE_TRANSITIONS, LOAD_MODEL]


def to_nbtrack(code: str) -> str:
    """The renames from MLflow to nbtrack names, nothing else."""
    code = code.replace("from mlflow.tracking import MlflowClient", "from nbtrack import TrackingClient")
    code = code.replace("MlflowClient(", "TrackingClient(")
    return re.sub(r"\bmlflow\b", "nbtrack", code)


def seed_registry_blocks() -> list[str]:
    text = SEED.read_text(encoding="utf-8")
    section = text.split("\n## Model Registry\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)\n```", section, flags=re.DOTALL)


@pytest.mark.skipif(not SEED.exists(), reason=f"seed guide not found at {SEED}")
def test_blocks_are_the_seed_guide_blocks_renamed():
    assert [to_nbtrack(b) for b in seed_registry_blocks()] == BLOCKS


@pytest.fixture
def ip(tracking_uri, monkeypatch, tmp_path):
    """A real InteractiveShell on a fresh store; the namespace is cleaned afterwards."""
    monkeypatch.chdir(tmp_path)
    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    shell = InteractiveShell.instance(config=config)
    user_keys = set(shell.user_ns)
    yield shell
    for key in set(shell.user_ns) - user_keys:
        del shell.user_ns[key]


def run(ip, code: str, capsys) -> str:
    result = ip.run_cell(code)
    assert result.success, result.error_in_exec or result.error_before_exec
    return capsys.readouterr().out


def test_seed_registry_blocks_run_with_documented_results(ip, capsys):
    run(ip, SETUP, capsys)
    assert run(ip, REGISTER_MODEL, capsys) == ""
    assert run(ip, MANAGE_VERSIONS, capsys) == "Versions: 1\nStatus: READY\n"

    # As written (stage="Staging"): nothing is in Production, so nothing is printed...
    assert run(ip, STAGE_TRANSITIONS, capsys) == ""
    assert ip.user_ns["prod_versions"] == []
    # ...and loading the Production model says exactly what is missing.
    result = ip.run_cell(LOAD_MODEL)
    assert isinstance(result.error_in_exec, ModelVersionNotFoundError)
    assert "no version in stage 'Production' (stages in use: Staging)" in str(result.error_in_exec)
    capsys.readouterr()

    # The guide's alternative (stage="Production") prints the version and loads the model.
    production = STAGE_TRANSITIONS.replace('stage="Staging"  # or "Production"', 'stage="Production"')
    assert run(ip, production, capsys) == "Production version: 1\n"
    run(ip, LOAD_MODEL, capsys)
    ns = ip.user_ns
    predictions = ns["predictions"]
    assert len(predictions) == len(ns["X_test"]) == 45
    assert (predictions == ns["y_test"]).mean() > 0.9
    assert set(predictions) <= {0, 1, 2}

    client = nbtrack.TrackingClient()
    version = client.get_model_version("iris_classifier", 1)
    assert version.current_stage == "Production" and version.status == "READY"
    actions = [e.action for e in client.get_registry_audit("iris_classifier")]
    assert actions == [
        "create_registered_model", "create_model_version",
        "transition_model_version_stage", "transition_model_version_stage",
    ]
