"""Exercise 05's self-checks: each known mistake gets its specific message; right answers pass.

The checks read runs and the registry back from MLflow's current tracking store, so these tests build a small
store in a temporary SQLite database (no server), with hand-made runs whose metrics make every mistake
distinguishable, and two tiny logged models for the registry tasks.
"""

from __future__ import annotations

import logging
import os
import warnings

import numpy as np
import pandas as pd
import pytest

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
mlflow = pytest.importorskip("mlflow")
from mlflow import MlflowClient  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

from coursekit.checks import NotDoneYet, ch05  # noqa: E402
from tests.support.checks import fails, passes  # noqa: E402

logging.getLogger("mlflow").setLevel(logging.WARNING)

PARAMS = {"penalty": "l2", "eta0": 0.01, "epochs": 4}
HISTORY = [0.9, 0.6, 0.45, 0.4]
FINAL = {"val_roc_auc": 0.81, "val_recall": 0.69}
TAGS = {"owner": "storage-sre"}
SWEEP = "tags.sweep = 'test'"
REG_SWEEP = "tags.sweep = 'registry'"
MODEL = "check-model"


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """A fresh SQLite tracking store with its own experiment; the previous tracking URI is restored afterwards."""
    folder = tmp_path_factory.mktemp("mlflow-store")
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(f"sqlite:///{folder / 'mlflow.db'}")
    client = MlflowClient()
    experiment_id = client.create_experiment("checks", artifact_location=(folder / "artifacts").as_uri())
    mlflow.set_experiment(experiment_id=experiment_id)
    yield client
    mlflow.set_tracking_uri(previous)


def log_run(name="task1", params=PARAMS, history=HISTORY, steps=None, final=FINAL, tags=TAGS,
            params_extra=None) -> str:
    with mlflow.start_run(run_name=name) as run:
        mlflow.log_params({**params, **(params_extra or {})})
        for i, value in enumerate(history):
            mlflow.log_metric("val_log_loss", value, step=(steps[i] if steps is not None else i + 1))
        mlflow.log_metrics(final)
        mlflow.set_tags(tags)
    return run.info.run_id


def check_run(run_id):
    ch05.check_logged_run(run_id, params=PARAMS, history=HISTORY, final=FINAL, tags=TAGS)


# ------------------------------------------------------------------------------------------ task 1

def test_logged_run_passes(store, capsys):
    passes(check_run, capsys, log_run())


def test_logged_run_not_done(store):
    with pytest.raises(NotDoneYet):
        check_run(None)


def test_logged_run_object_instead_of_id(store):
    run = store.get_run(log_run())
    fails(check_run, run, match="run object")


def test_logged_run_name_instead_of_id(store):
    log_run()
    fails(check_run, "task1", match="run \\*name\\*")


def test_logged_run_unknown_id(store):
    fails(check_run, "0123456789abcdef0123456789abcdef", match="no run with id")


def test_logged_run_still_running(store):
    run = mlflow.start_run(run_name="task1")
    try:
        fails(check_run, run.info.run_id, match="still RUNNING")
    finally:
        mlflow.end_run()


def test_metric_logged_as_param(store):
    with mlflow.start_run(run_name="task1") as run:
        mlflow.log_params({**PARAMS, "val_roc_auc": FINAL["val_roc_auc"]})
    fails(check_run, run.info.run_id, match="as a parameter")


def test_missing_param(store):
    fails(check_run, log_run(params={"penalty": "l2", "eta0": 0.01}), match="no parameter `epochs`")


def test_wrong_param_value(store):
    fails(check_run, log_run(params={**PARAMS, "eta0": 0.1}), match="Parameter `eta0` is '0.1'")


def test_no_metric_history(store):
    fails(check_run, log_run(history=[]), match="has no metric `val_log_loss`")


def test_only_last_value(store):
    fails(check_run, log_run(history=HISTORY[-1:]), match="single value")


def test_all_values_at_step_zero(store):
    fails(check_run, log_run(steps=[0, 0, 0, 0]), match="at step 0: pass the epoch number")


def test_steps_start_at_zero(store):
    fails(check_run, log_run(steps=[0, 1, 2, 3]), match="You started at 0")


def test_values_reversed(store):
    fails(check_run, log_run(history=HISTORY[::-1]), match="reverse order")


def test_missing_final_metric(store):
    fails(check_run, log_run(final={"val_roc_auc": FINAL["val_roc_auc"]}), match="no metric `val_recall`")


def test_missing_tag(store):
    fails(check_run, log_run(tags={}), match="no tag `owner`")


# ------------------------------------------------------------------------------------------ task 2

SWEEP_RUNS = {  # name: (val_log_loss, train_log_loss, val_roc_auc, val_recall)
    "plain": (0.30, 0.21, 0.80, 0.50),
    "best": (0.25, 0.22, 0.82, 0.55),
    "worst": (0.60, 0.40, 0.70, 0.40),
    "best-train": (0.28, 0.15, 0.80, 0.50),
    "best-recall": (0.35, 0.30, 0.75, 0.95),
    "best-auc": (0.29, 0.23, 0.90, 0.50),
}


@pytest.fixture(scope="module")
def sweep(store):
    ids = {}
    for name, (val, train, auc, recall) in SWEEP_RUNS.items():
        with mlflow.start_run(run_name=name) as run:
            mlflow.set_tags({"sweep": "test"})
            mlflow.log_metrics({"val_log_loss": val, "train_log_loss": train, "val_roc_auc": auc, "val_recall": recall})
        ids[name] = run.info.run_id
    return ids


def check_best(run_id, value):
    ch05.check_best_run(run_id, value, sweep_filter=SWEEP)


def test_best_run_key_is_private():
    assert not hasattr(ch05, "best_run_id")


def test_best_run_passes(sweep, capsys):
    passes(check_best, capsys, sweep["best"], 0.25)


def test_best_run_not_done(sweep):
    with pytest.raises(NotDoneYet):
        check_best(None, None)


def test_best_run_sorted_descending(sweep):
    fails(check_best, sweep["worst"], 0.60, match="highest.*ASC")


def test_best_run_by_training_loss(sweep):
    fails(check_best, sweep["best-train"], 0.28, match="lowest \\*\\*training\\*\\* loss")


def test_best_run_by_auc(sweep):
    fails(check_best, sweep["best-auc"], 0.29, match="best ROC-AUC")


def test_best_run_by_recall(sweep):
    fails(check_best, sweep["best-recall"], 0.35, match="best recall")


def test_best_run_other(sweep):
    fails(check_best, sweep["plain"], 0.30, match="not the sweep run with the lowest")


def test_best_run_outside_the_sweep(sweep):
    fails(check_best, log_run(), 0.4, match="not one of the 6 sweep runs")


def test_best_run_pandas_row(sweep):
    row = mlflow.search_runs(filter_string=SWEEP, order_by=["metrics.val_log_loss ASC"]).iloc[0]
    fails(check_best, row, 0.25, match="pandas Series")


def test_best_value_is_training_loss(sweep):
    fails(check_best, sweep["best"], 0.22, match="\\*\\*training\\*\\* loss; give its")


def test_best_value_wrong(sweep):
    fails(check_best, sweep["best"], 0.3, match="same row")


def test_best_value_not_a_number(sweep):
    fails(check_best, sweep["best"], "0.25", match="should be a number")


# ------------------------------------------------------------------------------------------ tasks 3 and 4

@pytest.fixture(scope="module")
def registry(store):
    """Two runs with logged models (the better one predicts differently), version 1 = baseline = champion."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(80, 3)), columns=["a", "b", "c"])
    runs = {}
    for name, labels, val in [("baseline", (X["a"] > 0).astype(int), 0.5), ("better", (X["b"] > 0).astype(int), 0.2)]:
        model = LogisticRegression().fit(X, labels)
        with mlflow.start_run(run_name=name) as run:
            mlflow.set_tags({"sweep": "registry"})
            mlflow.log_metrics({"val_log_loss": val})
            mlflow.sklearn.log_model(model, name="model", signature=mlflow.models.infer_signature(X, X["a"].to_numpy()),
                                     pip_requirements=["scikit-learn"])
        runs[name] = run.info.run_id
    return {"runs": runs, "X": X}


def register(client, name, run_id) -> str:
    model_id = client.get_run(run_id).outputs.model_outputs[0].model_id
    return str(client.create_model_version(name, source=f"models:/{model_id}", run_id=run_id, model_id=model_id).version)


@pytest.fixture()
def fresh_model(store, registry, request):
    """A registered model named after the test, with version 1 from the baseline run as champion."""
    name = f"{MODEL}-{request.node.name}"[:200].replace("[", "-").replace("]", "")
    store.create_registered_model(name)
    v1 = register(store, name, registry["runs"]["baseline"])
    store.set_registered_model_alias(name, "champion", v1)
    return name


def promoted(store, registry, name) -> str:
    version = register(store, name, registry["runs"]["better"])
    store.set_registered_model_alias(name, "challenger", version)
    store.set_registered_model_alias(name, "champion", version)
    return version


def check_promo(store, registry, name, version, model, best_run_id=None):
    ch05.check_promotion(version, model, best_run_id=best_run_id, model_name=name, sweep_filter=REG_SWEEP,
                         X_check=registry["X"])


def test_promotion_passes(store, registry, fresh_model, capsys):
    version = promoted(store, registry, fresh_model)
    model = mlflow.sklearn.load_model(f"models:/{fresh_model}@champion")
    passes(check_promo, capsys, store, registry, fresh_model, version, model)


def test_promotion_not_done(store, registry, fresh_model):
    with pytest.raises(NotDoneYet):
        check_promo(store, registry, fresh_model, None, None)


def test_promotion_version_one(store, registry, fresh_model):
    fails(check_promo, store, registry, fresh_model, "1", object(), match="Version 1 is the baseline")


def test_promotion_wrong_run(store, registry, fresh_model):
    version = register(store, fresh_model, registry["runs"]["baseline"])
    fails(check_promo, store, registry, fresh_model, version, object(), match="not the best of the sweep")


def test_promotion_no_challenger(store, registry, fresh_model):
    version = register(store, fresh_model, registry["runs"]["better"])
    store.set_registered_model_alias(fresh_model, "champion", version)
    fails(check_promo, store, registry, fresh_model, version, object(), match="`challenger` points to nothing")


def test_promotion_alias_case(store, registry, fresh_model):
    version = register(store, fresh_model, registry["runs"]["better"])
    store.set_registered_model_alias(fresh_model, "Champion", version)
    fails(check_promo, store, registry, fresh_model, version, object(), match="case-sensitive")


def test_promotion_with_stages(store, registry, fresh_model):
    version = register(store, fresh_model, registry["runs"]["better"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the deprecation warning is the point of the test
        store.transition_model_version_stage(fresh_model, version, "Production")
    fails(check_promo, store, registry, fresh_model, version, object(), match="deprecated")


def test_promotion_champion_not_moved(store, registry, fresh_model):
    version = register(store, fresh_model, registry["runs"]["better"])
    store.set_registered_model_alias(fresh_model, "challenger", version)
    fails(check_promo, store, registry, fresh_model, version, object(), match="still points to version 1")


def test_promotion_model_is_a_uri(store, registry, fresh_model):
    version = promoted(store, registry, fresh_model)
    fails(check_promo, store, registry, fresh_model, version, f"models:/{fresh_model}@champion", match="is a string")


def test_promotion_loaded_the_old_model(store, registry, fresh_model):
    old = mlflow.sklearn.load_model(f"models:/{fresh_model}@champion")   # loaded before the alias moved
    version = promoted(store, registry, fresh_model)
    fails(check_promo, store, registry, fresh_model, version, old, match="predicts differently")


def check_back(name, value, new_version=None):
    ch05.check_rollback(value, new_version=new_version, model_name=name)


def test_rollback_passes(store, registry, fresh_model, capsys):
    version = promoted(store, registry, fresh_model)
    store.set_registered_model_alias(fresh_model, "champion", "1")
    store.set_model_version_tag(fresh_model, version, "rolled_back", "misses failing disks")
    passes(check_back, capsys, fresh_model, store.get_model_version_by_alias(fresh_model, "champion").version)


def test_rollback_not_done(store, registry, fresh_model):
    with pytest.raises(NotDoneYet):
        check_back(fresh_model, None)


def test_rollback_champion_not_moved_back(store, registry, fresh_model):
    version = promoted(store, registry, fresh_model)
    fails(check_back, fresh_model, 1, match=f"`champion` points to {version}")


def test_rollback_by_deleting(store, registry, fresh_model):
    version = promoted(store, registry, fresh_model)
    store.set_registered_model_alias(fresh_model, "champion", "1")
    store.delete_model_version(fresh_model, version)
    fails(check_back, fresh_model, 1, new_version=version, match="Never roll back by deleting")


def test_rollback_without_reason(store, registry, fresh_model):
    promoted(store, registry, fresh_model)
    store.set_registered_model_alias(fresh_model, "champion", "1")
    fails(check_back, fresh_model, 1, match="no tag `rolled_back`")


def test_rollback_wrong_answer_variable(store, registry, fresh_model):
    version = promoted(store, registry, fresh_model)
    store.set_registered_model_alias(fresh_model, "champion", "1")
    store.set_model_version_tag(fresh_model, version, "rolled_back", "misses failing disks")
    fails(check_back, fresh_model, version, match="Read it back")


def test_rollback_old_check_cell_still_works(store, registry, fresh_model, capsys):
    """A check cell from before `new_version` was passed (and with `sweep_filter`) still grades the rollback."""
    version = promoted(store, registry, fresh_model)
    store.set_registered_model_alias(fresh_model, "champion", "1")
    store.set_model_version_tag(fresh_model, version, "rolled_back", "misses failing disks")
    passes(ch05.check_rollback, capsys, 1, model_name=fresh_model, sweep_filter=REG_SWEEP)


def test_rollback_deleted_below_the_latest_version(store, registry, fresh_model):
    """Version numbers are never reused: a gap below the latest version proves a deletion."""
    version = promoted(store, registry, fresh_model)
    register(store, fresh_model, registry["runs"]["better"])          # task 3 run twice: versions 2 and 3
    store.set_registered_model_alias(fresh_model, "champion", "1")
    store.delete_model_version(fresh_model, version)
    fails(check_back, fresh_model, 1, new_version=version,
          match=f"Version {version} \\(`new_version`\\) was deleted. Never roll back")


# ------------------------------------------------------------------------------------------ one mistake, one task
# Each test answers an earlier task wrong in a known way and the later task right: the later check passes
# (judged on its own inputs), or fails with a message that names the earlier task, never a false accusation.

def task3_done(store, registry, name, run) -> str:
    """Task 3 done right on `run` (whatever task 2 chose): register it, set both aliases."""
    version = register(store, name, registry["runs"][run])
    store.set_registered_model_alias(name, "challenger", version)
    store.set_registered_model_alias(name, "champion", version)
    return version


def task4_done(store, name, version) -> str:
    store.set_registered_model_alias(name, "champion", "1")
    store.set_model_version_tag(name, version, "rolled_back", "misses failing disks")
    return store.get_model_version_by_alias(name, "champion").version


def test_task2_sorted_descending_does_not_fail_task3(store, registry, fresh_model, capsys):
    wrong_best = registry["runs"]["baseline"]   # task 2 sorted DESC: the run with the highest val_log_loss
    version = task3_done(store, registry, fresh_model, "baseline")
    model = mlflow.sklearn.load_model(f"models:/{fresh_model}@champion")
    out = passes(check_promo, capsys, store, registry, fresh_model, version, model, best_run_id=wrong_best)
    assert "the run of `best_run_id`" in out
    assert "task 2's check says what to fix" in out


def test_task2_wrong_but_task3_registered_another_run(store, registry, fresh_model):
    version = task3_done(store, registry, fresh_model, "baseline")
    fails(check_promo, store, registry, fresh_model, version, object(), best_run_id=log_run(name="elsewhere"),
          match="not from `best_run_id`.*the run you found in task 2")


def test_task3_registered_another_run_than_a_right_task2(store, registry, fresh_model):
    version = task3_done(store, registry, fresh_model, "baseline")
    fails(check_promo, store, registry, fresh_model, version, object(), best_run_id=registry["runs"]["better"],
          match="not from `best_run_id`")


def test_task3_right_with_a_right_task2_has_no_note(store, registry, fresh_model, capsys):
    version = task3_done(store, registry, fresh_model, "better")
    model = mlflow.sklearn.load_model(f"models:/{fresh_model}@champion")
    out = passes(check_promo, capsys, store, registry, fresh_model, version, model,
                 best_run_id=registry["runs"]["better"])
    assert "(the best run)" in out and "Note" not in out


def test_task2_not_done_named_in_task3(store, registry, fresh_model):
    with pytest.raises(NotDoneYet, match="so is `best_run_id`.*task 2"):
        check_promo(store, registry, fresh_model, None, None, best_run_id=None)


def test_task2_sorted_descending_does_not_fail_task4(store, registry, fresh_model, capsys):
    """The demoted version is the one task 3 promoted, whichever run it came from: nothing was deleted."""
    version = task3_done(store, registry, fresh_model, "baseline")
    out = passes(check_back, capsys, fresh_model, task4_done(store, fresh_model, version), new_version=version)
    assert f"version {version} is kept" in out


def test_task3_not_done_named_in_task4(store, registry, fresh_model):
    message = fails(check_back, fresh_model, 1, new_version=None,
                    match="`new_version` \\(task 3\\) is still None.*Do task 3 first")
    assert "delet" not in message


def test_task3_kept_version_one_named_in_task4(store, registry, fresh_model):
    message = fails(check_back, fresh_model, 1, new_version="1",
                    match="`new_version` \\(task 3\\) is 1.*Fix task 3 first")
    assert "delet" not in message


def test_task3_wrong_version_number_named_in_task4(store, registry, fresh_model):
    version = task3_done(store, registry, fresh_model, "better")
    task4_done(store, fresh_model, version)
    fails(check_back, fresh_model, 1, new_version="7",
          match="no version 7 \\(`new_version`, from task 3\\).*fix task 3 first")


def test_task3_run_object_named_in_task4(store, registry, fresh_model):
    fails(check_back, fresh_model, 1, new_version=2.5, match="That is task 3's answer")


def test_task3_alias_case_does_not_fail_task4(store, registry, fresh_model, capsys):
    version = register(store, fresh_model, registry["runs"]["better"])
    store.set_registered_model_alias(fresh_model, "challenger", version)
    store.set_registered_model_alias(fresh_model, "Champion", version)   # task 3's mistake: the wrong case
    out = passes(check_back, capsys, fresh_model, task4_done(store, fresh_model, version), new_version=version)
    assert "'Champion'" in out and "does not count against this task" in out


def test_task3_stages_do_not_fail_task4(store, registry, fresh_model, capsys):
    version = task3_done(store, registry, fresh_model, "better")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        store.transition_model_version_stage(fresh_model, version, "Production")   # task 3's mistake
    out = passes(check_back, capsys, fresh_model, task4_done(store, fresh_model, version), new_version=version)
    assert "'Production'" in out and "does not count against this task" in out


def test_rollback_alias_case_in_task4_itself(store, registry, fresh_model):
    version = task3_done(store, registry, fresh_model, "better")
    store.set_registered_model_alias(fresh_model, "Champion", "1")         # this task's mistake
    fails(check_back, fresh_model, 1, new_version=version, match="case-sensitive")


def test_rollback_with_stages_in_task4_itself(store, registry, fresh_model):
    version = task3_done(store, registry, fresh_model, "better")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        store.transition_model_version_stage(fresh_model, "1", "Production")   # rolled back with a stage
    fails(check_back, fresh_model, 1, new_version=version, match="deprecated")


# ------------------------------------------------------------------------------------------ task 5

MARGIN = 0.02
GOOD_TEXT = ("A margin of 0.02 is above the noise between near-identical runs on a few hundred disks, and the recall "
             "and precision conditions keep the storage team's requirements at the serving threshold.")


def good_rule(champion, challenger):
    return (challenger["log_loss"] <= champion["log_loss"] - MARGIN
            and challenger["recall"] >= champion["recall"] - 0.02 and challenger["precision"] >= 0.5)


def check_rule(rule=good_rule, margin=MARGIN, text=GOOD_TEXT):
    ch05.check_promotion_rule(rule, margin, text)


def test_rule_passes(capsys):
    passes(check_rule, capsys)


def test_rule_numpy_bool_is_accepted(capsys):
    passes(check_rule, capsys, lambda a, b: np.bool_(good_rule(a, b)))


def test_rule_not_done():
    with pytest.raises(NotDoneYet):
        check_rule(margin=None)
    with pytest.raises(NotDoneYet):
        check_rule(rule=None)
    with pytest.raises(NotDoneYet):
        check_rule(text=None)


def test_rule_margin_not_positive():
    fails(check_rule, margin=0, match="must be positive")


def test_rule_margin_out_of_range():
    fails(check_rule, margin=0.5, match="between 0.005 and 0.1")


def test_rule_margin_as_text():
    fails(check_rule, margin="0.02", match="should be a number")


def test_rule_not_callable():
    fails(check_rule, rule=True, match="should be a function")


def test_rule_wrong_direction():
    fails(check_rule, lambda a, b: b["log_loss"] >= a["log_loss"] + MARGIN and b["recall"] >= a["recall"] - 0.02,
          match="wrong way round")


def test_rule_without_recall():
    fails(check_rule, lambda a, b: b["log_loss"] <= a["log_loss"] - MARGIN and b["precision"] >= 0.5,
          match="recall 0.10 lower")


def test_rule_without_precision():
    fails(check_rule, lambda a, b: b["log_loss"] <= a["log_loss"] - MARGIN and b["recall"] >= a["recall"] - 0.02,
          match="precision 0.40")


def test_rule_without_margin():
    fails(check_rule,
          lambda a, b: b["log_loss"] < a["log_loss"] and b["recall"] >= a["recall"] - 0.02 and b["precision"] >= 0.5,
          match="half your margin")


def test_rule_returns_text():
    fails(check_rule, lambda a, b: "yes" if good_rule(a, b) else "no", match="return True or False")


def test_rule_wrong_keys():
    fails(check_rule, lambda a, b: b["loss"] < a["loss"], match="KeyError")


def test_rule_mutates_input():
    def rule(champion, challenger):
        challenger["log_loss"] = round(challenger["log_loss"], 2)
        return good_rule(champion, challenger)

    fails(check_rule, rule, match="changed the dict")


def test_rule_justification_too_short():
    fails(check_rule, text="Because it is better.", match="words")


def test_rule_justification_without_reason():
    fails(check_rule, text=" ".join(["We decided on this value after a long meeting with the whole team today"] * 2),
          match="should explain the choice")
