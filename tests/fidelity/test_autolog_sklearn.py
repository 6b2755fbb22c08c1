"""sklearn autolog logs the same param and metric keys as ``mlflow.sklearn.autolog``.

MLFLOW_KEYS was recorded once by running MLflow 3.17.2's ``mlflow.sklearn.autolog()`` (scikit-learn
1.9.1) on the same estimators and bundled datasets in a separate venv; the script did, per case,
``with mlflow.start_run(): <fit>`` and read back ``sorted(run.data.params)`` /
``sorted(run.data.metrics)``. In the classifier and regressor cases it also called
``model.score(X, y)`` (``model.score(Xd, yd)``) after fitting, which MLflow logs as
``<Class>_score_<variable name>``. MLflow 3 logs models as LoggedModels outside the run's
artifacts, so artifact lists are not compared; nbtrack logs the model at ``runs:/<id>/model``.
"""
from __future__ import annotations

import pytest

import nbtrack

pytest.importorskip("sklearn")

from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris  # noqa: E402
from sklearn.linear_model import LinearRegression, LogisticRegression  # noqa: E402
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.tree import DecisionTreeClassifier  # noqa: E402

MLFLOW_KEYS = {
    'classifier': {
        'params': ['C', 'class_weight', 'dual', 'fit_intercept', 'intercept_scaling', 'l1_ratio', 'max_iter', 'n_jobs', 'penalty', 'random_state', 'solver', 'tol', 'verbose', 'warm_start'],
        'metrics': ['LogisticRegression_score_X', 'training_accuracy_score', 'training_f1_score', 'training_log_loss', 'training_precision_score', 'training_recall_score', 'training_roc_auc', 'training_score'],
    },
    'binary_classifier': {
        'params': ['C', 'class_weight', 'dual', 'fit_intercept', 'intercept_scaling', 'l1_ratio', 'max_iter', 'n_jobs', 'penalty', 'random_state', 'solver', 'tol', 'verbose', 'warm_start'],
        'metrics': ['training_accuracy_score', 'training_f1_score', 'training_log_loss', 'training_precision_score', 'training_recall_score', 'training_roc_auc', 'training_score'],
    },
    'regressor': {
        'params': ['copy_X', 'fit_intercept', 'n_jobs', 'positive', 'tol'],
        'metrics': ['LinearRegression_score_Xd', 'training_mean_absolute_error', 'training_mean_squared_error', 'training_r2_score', 'training_root_mean_squared_error', 'training_score'],
    },
    'pipeline': {
        'params': ['lr', 'lr__C', 'lr__class_weight', 'lr__dual', 'lr__fit_intercept', 'lr__intercept_scaling', 'lr__l1_ratio', 'lr__max_iter', 'lr__n_jobs', 'lr__penalty', 'lr__random_state', 'lr__solver', 'lr__tol', 'lr__verbose', 'lr__warm_start', 'memory', 'scaler', 'scaler__copy', 'scaler__with_mean', 'scaler__with_std', 'steps', 'transform_input', 'verbose'],
        'metrics': ['training_accuracy_score', 'training_f1_score', 'training_log_loss', 'training_precision_score', 'training_recall_score', 'training_roc_auc', 'training_score'],
    },
    'grid': {
        'params': ['best_max_depth', 'best_min_samples_split', 'cv', 'error_score', 'estimator', 'n_jobs', 'param_grid', 'pre_dispatch', 'refit', 'return_train_score', 'scoring', 'verbose'],
        'metrics': ['best_cv_score', 'training_accuracy_score', 'training_f1_score', 'training_log_loss', 'training_precision_score', 'training_recall_score', 'training_roc_auc', 'training_score'],
    },
    'grid_child': {
        'params': ['ccp_alpha', 'class_weight', 'criterion', 'max_depth', 'max_features', 'max_leaf_nodes', 'min_impurity_decrease', 'min_samples_leaf', 'min_samples_split', 'min_weight_fraction_leaf', 'monotonic_cst', 'random_state', 'splitter'],
        'metrics': ['mean_fit_time', 'mean_score_time', 'mean_test_score', 'rank_test_score', 'std_fit_time', 'std_score_time', 'std_test_score'],
    },
}


@pytest.fixture
def autologged(client):
    nbtrack.sklearn.autolog()
    yield client
    nbtrack.sklearn.autolog(disable=True)


def _keys(client, run_id):
    data = client.get_run(run_id).data
    return {"params": sorted(data.params), "metrics": sorted(data.metrics)}


def test_classifier_keys_and_post_training_score(autologged):
    X, y = load_iris(return_X_y=True)
    with nbtrack.start_run() as run:
        m = LogisticRegression(max_iter=200).fit(X, y)
        m.score(X, y)
    assert _keys(autologged, run.info.run_id) == MLFLOW_KEYS["classifier"]
    tags = autologged.get_run(run.info.run_id).data.tags
    assert tags["estimator_name"] == "LogisticRegression"
    assert tags["estimator_class"] == "sklearn.linear_model._logistic.LogisticRegression"
    m.score(X, y)
    assert "LogisticRegression_score-2_X" in autologged.get_run(run.info.run_id).data.metrics


def test_binary_classifier_keys(autologged):
    Xb, yb = load_breast_cancer(return_X_y=True)
    with nbtrack.start_run() as run:
        LogisticRegression(max_iter=3000).fit(Xb, yb)
    assert _keys(autologged, run.info.run_id) == MLFLOW_KEYS["binary_classifier"]


def test_regressor_keys_and_model_with_signature(autologged):
    Xd, yd = load_diabetes(return_X_y=True)
    with nbtrack.start_run() as run:
        m = LinearRegression().fit(Xd, yd)
        m.score(Xd, yd)
    assert _keys(autologged, run.info.run_id) == MLFLOW_KEYS["regressor"]
    metrics = autologged.get_run(run.info.run_id).data.metrics
    assert metrics["training_score"] == pytest.approx(metrics["training_r2_score"])
    loaded = nbtrack.load_model(f"runs:/{run.info.run_id}/model")
    assert (loaded.predict(Xd[:3]) == m.predict(Xd[:3])).all()
    import json

    manifest = json.loads(open(autologged.download_artifacts(run.info.run_id, "model/MLmodel.json")).read())
    assert manifest["signature"]["inputs"][0]["tensor-spec"]["shape"] == [-1, 10]
    assert {f.path for f in autologged.list_artifacts(run.info.run_id)} >= {"estimator.html", "model"}


def test_pipeline_keys(autologged):
    X, y = load_iris(return_X_y=True)
    with nbtrack.start_run() as run:
        Pipeline([("scaler", StandardScaler()), ("lr", LogisticRegression(max_iter=200))]).fit(X, y)
    assert _keys(autologged, run.info.run_id) == MLFLOW_KEYS["pipeline"]


def test_grid_search_parent_and_children(autologged):
    X, y = load_iris(return_X_y=True)
    grid = {"max_depth": [2, 3], "min_samples_split": [2, 4]}
    with nbtrack.start_run() as run:
        search = GridSearchCV(DecisionTreeClassifier(random_state=0), grid, cv=3).fit(X, y)
    parent = autologged.get_run(run.info.run_id)
    assert _keys(autologged, run.info.run_id) == MLFLOW_KEYS["grid"]
    assert parent.data.params["best_max_depth"] == str(search.best_params_["max_depth"])
    assert parent.data.metrics["best_cv_score"] == pytest.approx(search.best_score_)
    children = autologged.search_runs([parent.info.experiment_id], f"tags.mlflow.parentRunId = '{run.info.run_id}'")
    assert len(children) == 4
    assert all(_keys(autologged, c.info.run_id) == MLFLOW_KEYS["grid_child"] for c in children)
    assert all(c.info.status == "FINISHED" for c in children)
    assert "cv_results.csv" in {f.path for f in autologged.list_artifacts(run.info.run_id)}


def test_randomized_search_keeps_max_tuning_runs(client):
    nbtrack.sklearn.autolog(max_tuning_runs=2)
    try:
        X, y = load_iris(return_X_y=True)
        with nbtrack.start_run() as run:
            RandomizedSearchCV(DecisionTreeClassifier(random_state=0), {"max_depth": [1, 2, 3, 4]}, n_iter=4, cv=3, random_state=0).fit(X, y)
        kids = client.search_runs(["0"], f"tags.mlflow.parentRunId = '{run.info.run_id}'")
        assert len(kids) == 2
    finally:
        nbtrack.sklearn.autolog(disable=True)


def test_fit_without_a_run_gets_its_own_finished_run(autologged):
    X, y = load_iris(return_X_y=True)
    LogisticRegression(max_iter=200).fit(X, y)
    assert nbtrack.active_run() is None
    run = nbtrack.last_active_run()
    assert run.info.status == "FINISHED" and run.data.tags["mlflow.autologging"] == "sklearn"
    assert run.data.params["max_iter"] == "200"


def test_disable_removes_the_patches(client):
    original = LogisticRegression.fit
    nbtrack.autolog()
    assert LogisticRegression.fit is not original or DecisionTreeClassifier.fit is not original
    nbtrack.autolog(disable=True)
    X, y = load_iris(return_X_y=True)
    with nbtrack.start_run() as run:
        LogisticRegression(max_iter=200).fit(X, y)
    assert client.get_run(run.info.run_id).data.params == {}


# Artifact files MLflow 3.17.2's sklearn autolog logged for the same fits (matplotlib installed),
# recorded with the key sets above; nbtrack adds ``model`` (MLflow logs a LoggedModel instead).
MLFLOW_PLOTS = {
    "binary": ["estimator.html", "training_confusion_matrix.png", "training_precision_recall_curve.png", "training_roc_curve.png"],
    "multiclass": ["estimator.html", "training_confusion_matrix.png"],
    "binary_no_proba": ["estimator.html", "training_confusion_matrix.png", "training_precision_recall_curve.png", "training_roc_curve.png"],
    "regressor": ["estimator.html"],
    "grid": ["cv_results.csv", "estimator.html", "training_confusion_matrix.png", "training_precision_recall_curve.png", "training_roc_curve.png"],
}


@pytest.mark.parametrize("case", sorted(MLFLOW_PLOTS))
def test_training_plots_are_mlflows(autologged, case):
    pytest.importorskip("matplotlib")
    from sklearn.svm import LinearSVC

    Xb, yb = load_breast_cancer(return_X_y=True)
    fits = {
        "binary": lambda: LogisticRegression(max_iter=3000).fit(Xb, yb),
        "multiclass": lambda: LogisticRegression(max_iter=200).fit(*load_iris(return_X_y=True)),
        "binary_no_proba": lambda: LinearSVC().fit(Xb, yb),
        "regressor": lambda: LinearRegression().fit(*load_diabetes(return_X_y=True)),
        "grid": lambda: GridSearchCV(DecisionTreeClassifier(random_state=0), {"max_depth": [2, 3]}, cv=3).fit(Xb, yb),
    }
    with nbtrack.start_run() as run:
        fits[case]()
    files = sorted(f.path for f in autologged.list_artifacts(run.info.run_id) if f.path != "model")
    assert files == MLFLOW_PLOTS[case]
    for name in files:
        if name.endswith(".png"):
            data = open(autologged.download_artifacts(run.info.run_id, name), "rb").read()
            assert data.startswith(b"\x89PNG")

