"""XGBoost and LightGBM autolog log the same param, metric and artifact keys as MLflow's.

MLFLOW_KEYS was recorded once by running MLflow 3.17.2's ``mlflow.xgboost.autolog()`` and
``mlflow.lightgbm.autolog()`` (xgboost-cpu 3.2.0, lightgbm 4.7.0, scikit-learn 1.9.1, matplotlib
installed) in a separate venv on the same calls and bundled datasets as below, each in
``with mlflow.start_run():``, reading back ``sorted(run.data.params)``, ``sorted(run.data.metrics)``
and the run's artifact files. MLflow 3 logs the model as a LoggedModel outside the run's
artifacts (and repeats its metrics there at step 0), so ``model`` and history lengths are
checked against MLflow's documented rule instead: one point per iteration at step = iteration,
and with early stopping the best iteration's metrics once more at step = number of iterations.
"""
from __future__ import annotations

import json

import pytest

import nbtrack

xgb = pytest.importorskip("xgboost")
lgb = pytest.importorskip("lightgbm")

from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

MLFLOW_KEYS = {
    'xgb_train_early': {
        'params': ['custom_metric', 'early_stopping_rounds', 'eval_metric', 'max_depth', 'maximize', 'num_boost_round', 'objective', 'verbose_eval'],
        'metrics': ['best_iteration', 'stopped_iteration', 'train-auc', 'train-logloss', 'valid-auc', 'valid-logloss'],
        'artifacts': ['feature_importance_weight.json', 'feature_importance_weight.png'],
    },
    'xgb_train_plain': {
        'params': ['custom_metric', 'early_stopping_rounds', 'maximize', 'num_boost_round', 'num_class', 'objective', 'verbose_eval'],
        'metrics': [],
        'artifacts': ['feature_importance_weight.json', 'feature_importance_weight.png'],
    },
    'xgb_sklearn_clf': {
        'params': ['base_score', 'booster', 'colsample_bylevel', 'colsample_bynode', 'colsample_bytree', 'custom_metric', 'device', 'early_stopping_rounds', 'eval_metric', 'gamma', 'grow_policy', 'interaction_constraints', 'learning_rate', 'max_bin', 'max_cat_threshold', 'max_cat_to_onehot', 'max_delta_step', 'max_depth', 'max_leaves', 'maximize', 'min_child_weight', 'monotone_constraints', 'multi_strategy', 'n_jobs', 'num_boost_round', 'num_parallel_tree', 'objective', 'random_state', 'reg_alpha', 'reg_lambda', 'sampling_method', 'scale_pos_weight', 'subsample', 'tree_method', 'validate_parameters', 'verbose_eval', 'verbosity'],
        'metrics': ['validation_0-logloss'],
        'artifacts': ['feature_importance_weight.json', 'feature_importance_weight.png'],
    },
    'xgb_sklearn_reg': {
        'params': ['base_score', 'booster', 'colsample_bylevel', 'colsample_bynode', 'colsample_bytree', 'custom_metric', 'device', 'early_stopping_rounds', 'eval_metric', 'gamma', 'grow_policy', 'interaction_constraints', 'learning_rate', 'max_bin', 'max_cat_threshold', 'max_cat_to_onehot', 'max_delta_step', 'max_depth', 'max_leaves', 'maximize', 'min_child_weight', 'monotone_constraints', 'multi_strategy', 'n_jobs', 'num_boost_round', 'num_parallel_tree', 'objective', 'random_state', 'reg_alpha', 'reg_lambda', 'sampling_method', 'scale_pos_weight', 'subsample', 'tree_method', 'validate_parameters', 'verbose_eval', 'verbosity'],
        'metrics': [],
        'artifacts': ['feature_importance_weight.json', 'feature_importance_weight.png'],
    },
    'lgb_train_early': {
        'params': ['keep_training_booster', 'metric', 'num_boost_round', 'objective', 'verbose'],
        'metrics': ['best_iteration', 'stopped_iteration', 'train-auc', 'train-binary_logloss', 'valid-auc', 'valid-binary_logloss'],
        'artifacts': ['feature_importance_gain.json', 'feature_importance_gain.png', 'feature_importance_split.json', 'feature_importance_split.png'],
    },
    'lgb_train_plain': {
        'params': ['keep_training_booster', 'num_boost_round', 'num_class', 'objective', 'verbose'],
        'metrics': [],
        'artifacts': ['feature_importance_gain.json', 'feature_importance_gain.png', 'feature_importance_split.json', 'feature_importance_split.png'],
    },
    'lgb_sklearn_clf': {
        'params': ['boosting_type', 'colsample_bytree', 'keep_training_booster', 'learning_rate', 'max_depth', 'metric', 'min_child_samples', 'min_child_weight', 'min_split_gain', 'num_boost_round', 'num_leaves', 'num_threads', 'objective', 'random_state', 'reg_alpha', 'reg_lambda', 'subsample', 'subsample_for_bin', 'subsample_freq', 'verbose'],
        'metrics': ['valid_0-binary_logloss'],
        'artifacts': ['feature_importance_gain.json', 'feature_importance_gain.png', 'feature_importance_split.json', 'feature_importance_split.png'],
    },
    'lgb_sklearn_reg': {
        'params': ['boosting_type', 'colsample_bytree', 'keep_training_booster', 'learning_rate', 'max_depth', 'metric', 'min_child_samples', 'min_child_weight', 'min_split_gain', 'num_boost_round', 'num_leaves', 'num_threads', 'objective', 'random_state', 'reg_alpha', 'reg_lambda', 'subsample', 'subsample_for_bin', 'subsample_freq', 'verbose'],
        'metrics': [],
        'artifacts': ['feature_importance_gain.json', 'feature_importance_gain.png', 'feature_importance_split.json', 'feature_importance_split.png'],
    },
}


@pytest.fixture(scope="module")
def data():
    Xb, yb = load_breast_cancer(return_X_y=True)
    Xtr, Xva, ytr, yva = train_test_split(Xb, yb, random_state=0)
    return {"tr": (Xtr, ytr), "va": (Xva, yva), "iris": load_iris(return_X_y=True),
            "diabetes": load_diabetes(return_X_y=True)}


@pytest.fixture
def autologged(client):
    nbtrack.xgboost.autolog()
    nbtrack.lightgbm.autolog()
    yield client
    nbtrack.xgboost.autolog(disable=True)
    nbtrack.lightgbm.autolog(disable=True)


def _keys(client, run_id):
    data = client.get_run(run_id).data
    files = sorted(f.path for f in client.list_artifacts(run_id) if f.path != "model")
    return {"params": sorted(data.params), "metrics": sorted(data.metrics), "artifacts": files}


def _steps(client, run_id, key):
    return [m.step for m in client.get_metric_history(run_id, key)]


def test_xgboost_train_with_early_stopping(autologged, data):
    (Xtr, ytr), (Xva, yva) = data["tr"], data["va"]
    dtr, dva = xgb.DMatrix(Xtr, ytr), xgb.DMatrix(Xva, yva)
    callbacks: list = []
    with nbtrack.start_run() as run:
        bst = xgb.train({"objective": "binary:logistic", "eval_metric": ["logloss", "auc"], "max_depth": 3},
                        dtr, num_boost_round=50, evals=[(dtr, "train"), (dva, "valid")],
                        early_stopping_rounds=5, verbose_eval=False, callbacks=callbacks)
    run_id = run.info.run_id
    assert _keys(autologged, run_id) == MLFLOW_KEYS["xgb_train_early"]
    assert callbacks == []  # the caller's list is left alone
    rounds = bst.num_boosted_rounds()
    assert _steps(autologged, run_id, "valid-auc") == [*range(rounds), rounds]
    metrics = autologged.get_run(run_id).data.metrics
    assert metrics["best_iteration"] == bst.best_iteration
    assert metrics["stopped_iteration"] == rounds - 1
    best = autologged.get_metric_history(run_id, "valid-logloss")
    assert best[-1].value == best[bst.best_iteration].value
    params = autologged.get_run(run_id).data.params
    assert params["eval_metric"] == "['logloss', 'auc']" and params["num_boost_round"] == "50"
    importance = json.loads(open(autologged.download_artifacts(run_id, "feature_importance_weight.json")).read())
    assert importance == bst.get_score(importance_type="weight")
    loaded = nbtrack.xgboost.load_model(f"runs:/{run_id}/model")
    assert (loaded.predict(dva) == bst.predict(dva)).all()


def test_xgboost_train_without_evals(autologged, data):
    Xi, yi = data["iris"]
    with nbtrack.start_run() as run:
        xgb.train({"objective": "multi:softprob", "num_class": 3}, xgb.DMatrix(Xi, yi), num_boost_round=5)
    assert _keys(autologged, run.info.run_id) == MLFLOW_KEYS["xgb_train_plain"]


def test_xgboost_sklearn_wrappers(autologged, data):
    (Xtr, ytr), (Xva, yva) = data["tr"], data["va"]
    with nbtrack.start_run() as run:
        clf = xgb.XGBClassifier(n_estimators=10, max_depth=3).fit(Xtr, ytr, eval_set=[(Xva, yva)], verbose=False)
    assert _keys(autologged, run.info.run_id) == MLFLOW_KEYS["xgb_sklearn_clf"]
    assert _steps(autologged, run.info.run_id, "validation_0-logloss") == list(range(10))
    loaded = nbtrack.xgboost.load_model(f"runs:/{run.info.run_id}/model")
    assert (loaded.predict(Xva) == clf.predict(Xva)).all()
    Xd, yd = data["diabetes"]
    with nbtrack.start_run() as run:
        xgb.XGBRegressor(n_estimators=8).fit(Xd, yd)
    assert _keys(autologged, run.info.run_id) == MLFLOW_KEYS["xgb_sklearn_reg"]


def test_lightgbm_train_with_early_stopping(autologged, data):
    (Xtr, ytr), (Xva, yva) = data["tr"], data["va"]
    with nbtrack.start_run() as run:
        tr = lgb.Dataset(Xtr, ytr)
        va = lgb.Dataset(Xva, yva, reference=tr)
        booster = lgb.train({"objective": "binary", "metric": ["binary_logloss", "auc"], "verbose": -1}, tr,
                            num_boost_round=50, valid_sets=[tr, va], valid_names=["train", "valid"],
                            callbacks=[lgb.early_stopping(5, verbose=False)])
    run_id = run.info.run_id
    assert _keys(autologged, run_id) == MLFLOW_KEYS["lgb_train_early"]
    metrics = autologged.get_run(run_id).data.metrics
    ran = int(metrics["stopped_iteration"])  # iterations run: the best one plus the patience, 5
    assert ran == booster.best_iteration + 5
    assert _steps(autologged, run_id, "valid-auc") == [*range(ran), ran]
    assert metrics["best_iteration"] == booster.best_iteration
    history = autologged.get_metric_history(run_id, "valid-binary_logloss")
    assert history[-1].value == history[booster.best_iteration - 1].value
    split = json.loads(open(autologged.download_artifacts(run_id, "feature_importance_split.json")).read())
    assert list(split.values()) == booster.feature_importance("split").tolist()
    loaded = nbtrack.lightgbm.load_model(f"runs:/{run_id}/model")
    assert (loaded.predict(Xva) == booster.predict(Xva)).all()


def test_lightgbm_train_without_valid_sets(autologged, data):
    Xi, yi = data["iris"]
    with nbtrack.start_run() as run:
        lgb.train({"objective": "multiclass", "num_class": 3, "verbose": -1}, lgb.Dataset(Xi, yi), num_boost_round=5)
    assert _keys(autologged, run.info.run_id) == MLFLOW_KEYS["lgb_train_plain"]


def test_lightgbm_sklearn_wrappers_log_no_inner_sklearn_fits(autologged, data):
    (Xtr, ytr), (Xva, yva) = data["tr"], data["va"]
    nbtrack.sklearn.autolog()
    try:
        with nbtrack.start_run() as run:
            clf = lgb.LGBMClassifier(n_estimators=10, verbose=-1).fit(Xtr, ytr, eval_set=[(Xva, yva)])
    finally:
        nbtrack.sklearn.autolog(disable=True)
    assert _keys(autologged, run.info.run_id) == MLFLOW_KEYS["lgb_sklearn_clf"]
    loaded = nbtrack.lightgbm.load_model(f"runs:/{run.info.run_id}/model")
    assert (loaded.predict(Xva) == clf.predict(Xva)).all()
    Xd, yd = data["diabetes"]
    with nbtrack.start_run() as run:
        lgb.LGBMRegressor(n_estimators=8, verbose=-1).fit(Xd, yd)
    assert _keys(autologged, run.info.run_id) == MLFLOW_KEYS["lgb_sklearn_reg"]


def test_training_without_a_run_gets_its_own_finished_run(autologged, data):
    Xd, yd = data["diabetes"]
    xgb.train({"objective": "reg:squarederror"}, xgb.DMatrix(Xd, yd), num_boost_round=3)
    assert nbtrack.active_run() is None
    run = nbtrack.last_active_run()
    assert run.info.status == "FINISHED" and run.data.tags["mlflow.autologging"] == "xgboost"
    lgb.train({"objective": "regression", "verbose": -1}, lgb.Dataset(Xd, yd), num_boost_round=3)
    run = nbtrack.last_active_run()
    assert run.info.status == "FINISHED" and run.data.tags["mlflow.autologging"] == "lightgbm"


def test_a_failing_training_ends_its_own_run_failed(autologged):
    with pytest.raises(Exception):  # noqa: B017 - whatever xgboost raises for a missing dtrain
        xgb.train({"objective": "reg:squarederror"}, None, num_boost_round=3)
    assert nbtrack.active_run() is None
    assert nbtrack.last_active_run().info.status == "FAILED"


def test_autolog_switches_both_on_and_off(client, data):
    original = (xgb.train, lgb.train, xgb.XGBClassifier.fit)
    nbtrack.autolog()
    try:
        assert xgb.train is not original[0] and lgb.train is not original[1]
        assert xgb.XGBClassifier.fit is not original[2]
    finally:
        nbtrack.autolog(disable=True)
    assert (xgb.train, lgb.train, xgb.XGBClassifier.fit) == original
    Xd, yd = data["diabetes"]
    with nbtrack.start_run() as run:
        xgb.train({"objective": "reg:squarederror"}, xgb.DMatrix(Xd, yd), num_boost_round=2)
    assert client.get_run(run.info.run_id).data.params == {}


def test_post_training_score_of_the_wrappers(autologged, data):
    """MLflow 3.17.2 logged ``XGBClassifier_score_Xb`` after ``m.score(Xb, yb)`` and nothing for
    ``LGBMRegressor(...).score(Xd, yd)`` (recorded beside MLFLOW_KEYS)."""
    Xb, yb = load_breast_cancer(return_X_y=True)
    Xd, yd = data["diabetes"]
    with nbtrack.start_run() as run:
        m = xgb.XGBClassifier(n_estimators=3).fit(Xb, yb)
        value = m.score(Xb, yb)
    metrics = autologged.get_run(run.info.run_id).data.metrics
    assert metrics["XGBClassifier_score_Xb"] == pytest.approx(value)
    with nbtrack.start_run() as run:
        r = lgb.LGBMRegressor(n_estimators=3, verbose=-1).fit(Xd, yd)
        r.score(Xd, yd)
    assert not any("_score_" in k for k in autologged.get_run(run.info.run_id).data.metrics)
    nbtrack.xgboost.autolog(disable=True)
    from sklearn.base import ClassifierMixin

    assert "score" not in vars(xgb.XGBClassifier) and xgb.XGBClassifier.score is ClassifierMixin.score
