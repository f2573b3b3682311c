"""Exercise 11's self-checks: each known mistake gets its specific message; right answers pass.

The rollback check reads the registry back from MLflow's current tracking store, so those tests build one small
registry in a temporary SQLite database (no server) with four tiny logged models, and reset the aliases and tags
before each test.
"""

from __future__ import annotations

import logging
import math
import os
import sqlite3
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from coursekit.checks import CheckFailed, NotDoneYet, ch11

# ------------------------------------------------------------------------------------------ task 1

TASK1 = dict(p_control=0.05, relative_lift=0.10, alpha=0.05, power=0.80, visitors_per_day=12_000)


def size(p1=0.05, p2=0.055, z_alpha=None, z_power=None):
    z_alpha = stats.norm.ppf(0.975) if z_alpha is None else z_alpha
    z_power = stats.norm.ppf(0.80) if z_power is None else z_power
    p_bar = (p1 + p2) / 2
    return (z_alpha * math.sqrt(2 * p_bar * (1 - p_bar))
            + z_power * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))) ** 2 / (p2 - p1) ** 2


RIGHT_N = math.ceil(size())
RIGHT_DAYS = math.ceil(2 * RIGHT_N / 12_000)


def test_sample_size_passes(capsys):
    ch11.check_sample_size(RIGHT_N, RIGHT_DAYS, **TASK1)
    assert "✔" in capsys.readouterr().out


def test_sample_size_accepts_numpy_integers(capsys):
    ch11.check_sample_size(np.int64(RIGHT_N), RIGHT_DAYS, **TASK1)
    assert "✔" in capsys.readouterr().out


def test_sample_size_not_done():
    with pytest.raises(NotDoneYet):
        ch11.check_sample_size(None, None, **TASK1)


@pytest.mark.parametrize("value, message", [
    (math.ceil(size(z_alpha=stats.norm.ppf(0.95))), "one-sided"),
    (2 * RIGHT_N, "total"),
    (math.ceil(size(p2=0.15)), "absolute"),
    (math.ceil(size(z_power=stats.norm.ppf(0.20))), "wrong sign"),
    (math.ceil(size(z_alpha=stats.norm.ppf(0.025))), "wrong sign"),
    (math.ceil(size(z_power=stats.norm.ppf(0.90))), "90 % power"),
    (size(), "whole number"),
    (RIGHT_N - 1, "rounded down"),
    (float("nan"), "percentages"),
    (20_000, "formula gives about"),
    ("31234", "should be a number"),
])
def test_sample_size_mistakes(value, message):
    with pytest.raises(CheckFailed, match=message):
        ch11.check_sample_size(value, RIGHT_DAYS, **TASK1)


@pytest.mark.parametrize("days, message", [
    (math.ceil(RIGHT_N / 12_000), "one group"),
    (2 * RIGHT_N / 12_000, "round"),
    (RIGHT_DAYS + 3, "whole days"),
])
def test_days_mistakes(days, message):
    with pytest.raises(CheckFailed, match=message):
        ch11.check_sample_size(RIGHT_N, days, **TASK1)


def test_days_not_done():
    with pytest.raises(NotDoneYet):
        ch11.check_sample_size(RIGHT_N, None, **TASK1)


# ------------------------------------------------------------------------------------------ task 2

SLO = {"max_error_rate": 0.01, "max_p99_ms": 250.0, "max_block_rate": 0.03, "min_requests": 1000}


def make_decide(*, judge_counts=False, min_check=True, min_le=False, strict=True, check_block=True,
                check_latency=True, decisions=("advance", "wait", "rollback"), reason="ok", as_string=False):
    advance, wait, rollback = decisions

    def decide(window, slo):
        requests = window["requests"]
        if min_check and (requests <= slo["min_requests"] if min_le else requests < slo["min_requests"]):
            return wait if as_string else (wait, reason)
        errors = window["errors"] if judge_counts else window["errors"] / requests
        blocked = window["blocked"] if judge_counts else window["blocked"] / requests

        def above(value, limit):
            return value > limit if strict else value >= limit

        breached = (above(errors, slo["max_error_rate"])
                    or (check_latency and above(window["p99_ms"], slo["max_p99_ms"]))
                    or (check_block and above(blocked, slo["max_block_rate"])))
        result = rollback if breached else advance
        return result if as_string else (result, reason)

    return decide


def test_canary_decision_passes(capsys):
    ch11.check_canary_decision(make_decide(), SLO)
    assert "✔" in capsys.readouterr().out


def test_canary_decision_not_done():
    with pytest.raises(NotDoneYet):
        ch11.check_canary_decision(None, SLO)


@pytest.mark.parametrize("decide, message", [
    ("rollback", "should be a function"),
    (make_decide(as_string=True), "Return a tuple"),
    (make_decide(judge_counts=True), "count"),
    (make_decide(min_check=False), "must not advance"),
    (make_decide(min_le=True), "not `<=`"),
    (make_decide(strict=False), "strictly greater"),
    (make_decide(check_block=False), "model-quality guardrail"),
    (make_decide(check_latency=False), "max_p99_ms"),
    (make_decide(decisions=("Advance", "Wait", "Rollback")), "lower case"),
    (make_decide(decisions=("promote", "hold", "abort")), "must be one of"),
    (make_decide(reason=""), "non-empty"),
    (lambda window, slo: ("advance", window["error_rate"]), "KeyError"),
    (lambda window, slo: 1 / 0, "ZeroDivisionError"),
])
def test_canary_decision_mistakes(decide, message):
    with pytest.raises(CheckFailed, match=message):
        ch11.check_canary_decision(decide, SLO)


# ------------------------------------------------------------------------------------------ task 3

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
MODEL = "check-scorer"


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    """A registry with four versions, as in the exercise; the previous tracking URIs are restored afterwards."""
    mlflow = pytest.importorskip("mlflow")
    from mlflow import MlflowClient
    from sklearn.linear_model import LogisticRegression

    logging.getLogger("mlflow").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    folder = tmp_path_factory.mktemp("registry")
    db = folder / "registry.db"
    connection = sqlite3.connect(db)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.close()
    previous = mlflow.get_tracking_uri(), mlflow.get_registry_uri()
    mlflow.set_tracking_uri(f"sqlite:///{db}")
    mlflow.set_registry_uri(f"sqlite:///{db}")
    client = MlflowClient()
    mlflow.set_experiment(experiment_id=client.create_experiment("checks", artifact_location=(folder / "a").as_uri()))
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 4))
    y = (X @ [1.0, -0.5, 0.8, 0.0] > 0).astype(int)
    client.create_registered_model(MODEL)
    for C in [1.0, 0.3, 0.1, 0.01]:
        with mlflow.start_run() as run:
            info = mlflow.sklearn.log_model(LogisticRegression(C=C).fit(X, y), name="model",
                                            pip_requirements=["scikit-learn"])
        client.create_model_version(MODEL, source=info.model_uri, run_id=run.info.run_id, model_id=info.model_id)
    client.set_model_version_tag(MODEL, "3", "validation_status", "rejected")
    client.set_registered_model_tag(MODEL, "previous_champion", "2")
    yield client, rng.normal(size=(30, 4))
    mlflow.set_tracking_uri(previous[0])
    mlflow.set_registry_uri(previous[1])


@pytest.fixture
def state(registry):
    """Reset to the exercise's starting point: champion on v4, no rolled_back tag, no stray alias."""
    client, X_check = registry
    for alias in list(client.get_registered_model(MODEL).aliases):
        client.delete_registered_model_alias(MODEL, alias)
    client.set_registered_model_alias(MODEL, "champion", "4")
    if "rolled_back" in client.get_model_version(MODEL, "4").tags:
        client.delete_model_version_tag(MODEL, "4", "rolled_back")
    return client, X_check


def roll_back(client, to="2", tag=True):
    client.set_registered_model_alias(MODEL, "champion", to)
    if tag:
        client.set_model_version_tag(MODEL, "4", "rolled_back", "too many false blocks")


def load(alias="champion"):
    import mlflow

    return mlflow.sklearn.load_model(f"models:/{MODEL}@{alias}")


def check(rolled_back_to, model, X_check):
    ch11.check_alias_rollback(rolled_back_to, model, model_name=MODEL, X_check=X_check)


def test_rollback_passes(state, capsys):
    client, X_check = state
    roll_back(client)
    check(client.get_model_version_by_alias(MODEL, "champion").version, load(), X_check)
    assert "✔" in capsys.readouterr().out


def test_rollback_not_done(state):
    with pytest.raises(NotDoneYet):
        check(None, None, state[1])


def test_rollback_version_object(state):
    client, X_check = state
    roll_back(client)
    with pytest.raises(CheckFailed, match="ModelVersion object"):
        check(client.get_model_version_by_alias(MODEL, "champion"), load(), X_check)


def test_rollback_alias_not_moved(state):
    client, X_check = state
    client.set_model_version_tag(MODEL, "4", "rolled_back", "x")
    with pytest.raises(CheckFailed, match="still points to version 4"):
        check("4", load(), X_check)


def test_rollback_to_the_rejected_version(state):
    client, X_check = state
    roll_back(client, to="3")
    with pytest.raises(CheckFailed, match="failed validation"):
        check("3", load(), X_check)


def test_rollback_to_the_first_version(state):
    client, X_check = state
    roll_back(client, to="1")
    with pytest.raises(CheckFailed, match="previous_champion"):
        check("1", load(), X_check)


def test_rollback_reported_version_differs(state):
    client, X_check = state
    roll_back(client)
    with pytest.raises(CheckFailed, match="Read it back"):
        check("4", load(), X_check)


def test_rollback_without_reason_tag(state):
    client, X_check = state
    roll_back(client, tag=False)
    with pytest.raises(CheckFailed, match="rolled_back"):
        check("2", load(), X_check)


def test_rollback_model_loaded_before_the_move(state):
    client, X_check = state
    stale = load()
    roll_back(client)
    with pytest.raises(CheckFailed, match="before moving the alias"):
        check("2", stale, X_check)


def test_rollback_model_is_a_uri(state):
    client, X_check = state
    roll_back(client)
    with pytest.raises(CheckFailed, match="is a string"):
        check("2", f"models:/{MODEL}@champion", X_check)


def test_rollback_alias_with_wrong_case(state):
    client, X_check = state
    roll_back(client)
    client.set_registered_model_alias(MODEL, "Champion", "2")
    with pytest.raises(CheckFailed, match="case-sensitive"):
        check("2", load(), X_check)


def test_rollback_with_deprecated_stage(state):
    client, X_check = state
    roll_back(client)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        client.transition_model_version_stage(MODEL, "2", "Production")
        try:
            with pytest.raises(CheckFailed, match="deprecated"):
                check("2", load(), X_check)
        finally:
            client.transition_model_version_stage(MODEL, "2", "None")


def test_rollback_by_deleting_the_bad_version(state, monkeypatch):
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    client, X_check = state
    roll_back(client)
    real = MlflowClient.get_model_version

    def deleted(self, name, version):
        if str(version) == "4":
            raise MlflowException("Model Version (name=check-scorer, version=4) not found")
        return real(self, name, version)

    monkeypatch.setattr(MlflowClient, "get_model_version", deleted)
    with pytest.raises(CheckFailed, match="Never delete"):
        check("2", load(), X_check)


# ------------------------------------------------------------------------------------------ task 4

WEEKLY = [0.252, 0.252, 0.261, 0.233, 0.220, 0.198, 0.177, 0.167, 0.150, 0.124, 0.109, 0.110, 0.077]
OPTIONS = [1, 2, 3, 4, 6, 8, 13]
COSTS = dict(weekly_fraud_caught=WEEKLY, retrain_cost=6000, value_per_point_week=900, label_delay_weeks=1,
             options=OPTIONS)
DECAY = -np.polyfit(np.arange(len(WEEKLY)), np.array(WEEKLY) * 100, 1)[0]
JUSTIFICATION = ("The model loses about 1.6 points a week. Every 4 weeks costs a few percent more than every 3 "
                 "weeks but fits our monthly release train, so each retraining gets a full gate and canary review.")


def cost_table(decay=DECAY, delay=1, age=lambda t: t / 2, divide=True, total=None):
    table = pd.DataFrame({"cadence_weeks": OPTIONS})
    table["retrain_cost_per_week"] = 6000 / table["cadence_weeks"] if divide else 6000.0
    table["degradation_cost_per_week"] = 900 * decay * (delay + age(table["cadence_weeks"]))
    table["total_cost_per_week"] = (table["retrain_cost_per_week"] + table["degradation_cost_per_week"]
                                    if total is None else total)
    return table


def test_cadence_passes(capsys):
    ch11.check_retraining_cadence(DECAY, cost_table(), 4, JUSTIFICATION, **COSTS)
    assert "✔" in capsys.readouterr().out


def test_cadence_accepts_cadence_as_index(capsys):
    ch11.check_retraining_cadence(DECAY, cost_table().set_index("cadence_weeks"), 3, JUSTIFICATION, **COSTS)
    assert "✔" in capsys.readouterr().out


def test_cadence_not_done():
    with pytest.raises(NotDoneYet):
        ch11.check_retraining_cadence(None, None, None, None, **COSTS)


@pytest.mark.parametrize("decay, message", [
    (-DECAY, "positive"),
    (DECAY / 100, "percentage points"),
    (3.0, "straight line"),
])
def test_cadence_decay_mistakes(decay, message):
    with pytest.raises(CheckFailed, match=message):
        ch11.check_retraining_cadence(decay, cost_table(), 4, JUSTIFICATION, **COSTS)


@pytest.mark.parametrize("table, message", [
    (cost_table().drop(columns="total_cost_per_week"), "lacks"),
    (cost_table().to_dict(), "DataFrame"),
    (cost_table().iloc[:4], "one row per option"),
    (cost_table(divide=False), "divide it by the cadence"),
    (cost_table(delay=0), "label delay"),
    (cost_table(age=lambda t: t), "T / 2, not T"),
    (cost_table(total=1000.0), "sum of the two costs"),
])
def test_cadence_table_mistakes(table, message):
    with pytest.raises(CheckFailed, match=message):
        ch11.check_retraining_cadence(DECAY, table, 4, JUSTIFICATION, **COSTS)


@pytest.mark.parametrize("cadence, justification, message", [
    (5, JUSTIFICATION, "choose one of"),
    (13, JUSTIFICATION, "more than the cheapest"),
    (1, JUSTIFICATION, "more than the cheapest"),
    (4, "Every four weeks fits the release train.", "words"),
    (4, " ".join(["Monthly retraining fits our release train and our team capacity well"] * 3), "no number"),
    (4, None, "Not done yet"),
])
def test_cadence_choice_mistakes(cadence, justification, message):
    with pytest.raises(CheckFailed, match=message):
        ch11.check_retraining_cadence(DECAY, cost_table(), cadence, justification, **COSTS)
