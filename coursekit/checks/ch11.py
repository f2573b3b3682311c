"""Self-checks for exercise 11, *Rollout and operations*.

Each check recomputes the right answer from the task's inputs and also the answers that the usual mistakes
produce, so a wrong value is named by its mistake: a one-sided z, the total instead of per group, a relative lift
read as absolute, a canary that judges error *counts* or promotes on too little traffic, a rollback to "the
version before" instead of the last known-good one, a decay with the wrong sign or unit.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from coursekit.checks import (
    CheckFailed,
    call_learner,
    close,
    diagnose,
    passed,
    require,
    require_done,
    require_function,
    require_number,
    require_prose,
    within,
)

__all__ = ["check_sample_size", "check_canary_decision", "check_alias_rollback", "check_retraining_cadence"]


# ------------------------------------------------------------------------------------------ task 1


def _n_per_group(p1: float, p2: float, z_alpha: float, z_power: float) -> float:
    """The two-proportion sample size per group, before rounding (NaN when the inputs make no sense)."""
    p_bar = (p1 + p2) / 2
    pooled, unpooled = 2 * p_bar * (1 - p_bar), p1 * (1 - p1) + p2 * (1 - p2)
    if pooled < 0 or unpooled < 0 or p1 == p2:
        return math.nan
    return (z_alpha * math.sqrt(pooled) + z_power * math.sqrt(unpooled)) ** 2 / (p2 - p1) ** 2


def check_sample_size(n_per_group, days_needed, *, p_control: float, relative_lift: float, alpha: float,
                      power: float, visitors_per_day: int) -> None:
    """The per-group size for a two-sided two-proportion test, rounded up, and the whole days it takes."""
    from scipy import stats

    require_done(n_per_group, "n_per_group")
    p1, p2 = p_control, p_control * (1 + relative_lift)
    z2, z1, zp = stats.norm.ppf(1 - alpha / 2), stats.norm.ppf(1 - alpha), stats.norm.ppf(power)
    exact = _n_per_group(p1, p2, z2, zp)
    right = math.ceil(exact)
    pooled_only = math.ceil((z2 + zp) ** 2 * 2 * ((p1 + p2) / 2) * (1 - (p1 + p2) / 2) / (p2 - p1) ** 2)
    if isinstance(n_per_group, float) and math.isnan(n_per_group):
        raise CheckFailed("`n_per_group` is NaN: a square root of a negative number. Did you give the rates as "
                          f"percentages ({p1 * 100:g} instead of {p1:g})? Rates go into the formula as fractions.")
    value = require_number(n_per_group, "n_per_group")

    near = within(rel=0.002, abs=1.0)  # a visitor, or 0.2 %: rounding and z-values to three digits
    mistakes = [
        (_n_per_group(p1, p2, z1, zp), "That is the size for a **one-sided** test (z for 1 − α = "
         f"{z1:.3f}). The task asks for a two-sided test: use `stats.norm.ppf(1 - alpha / 2)` = {z2:.3f}."),
        (2 * exact, "That is the **total** for both groups. The formula gives the number per group."),
        (_n_per_group(p1, p1 + relative_lift, z2, zp), f"You treated the lift as absolute ({p1:g} → "
         f"{p1 + relative_lift:g}). A relative lift of {relative_lift:.0%} means {p1:g} × {1 + relative_lift:g} = "
         f"{p2:g}."),
        (_n_per_group(p1, p2, z2, stats.norm.ppf(1 - power)), "One z value has the wrong sign: both are positive, "
         f"`stats.norm.ppf(1 - alpha / 2)` = {z2:.3f} and `stats.norm.ppf(power)` = {zp:.3f} (not `ppf(alpha / 2)` "
         f"or `ppf(1 - power)`)."),
        (_n_per_group(p1, p2, stats.norm.ppf(1 - alpha / 2), stats.norm.ppf(0.90)),
         "That is 90 % power (z = 1.282). The task asks for 80 % power."),
    ]
    if not near(value, exact):
        diagnose(value, "n_per_group", exact, mistakes, close=near, template="{message}")
    if value != math.floor(value):
        raise CheckFailed(f"`n_per_group` is {value:g}, not a whole number of visitors: round **up** with "
                          "`math.ceil`, since fewer visitors than the formula asks for give less power.")
    if value == math.floor(exact) and exact != right:
        raise CheckFailed(f"`n_per_group` is {value:g}: you rounded down. Round **up** (`math.ceil`): the formula "
                          "gives the minimum.")
    require(value in (right, pooled_only) or close(value, exact, rel=0.001, abs=1.0),
            f"`n_per_group` is {value:g}, but the formula gives about {exact:,.0f} per group for {p1:g} → {p2:g}. "
            "Check p2 (a relative lift), the two z values (two-sided α, power) and the denominator (p2 − p1)².")

    require_done(days_needed, "days_needed")
    days = require_number(days_needed, "days_needed")
    right_days = math.ceil(2 * value / visitors_per_day)
    if days == math.ceil(value / visitors_per_day) and days != right_days:
        raise CheckFailed(f"`days_needed` is {days:g}: that counts one group only. Both groups share the "
                          f"{visitors_per_day:,} daily visitors, so the test needs 2 × n visitors.")
    if abs(days - 2 * value / visitors_per_day) < 1e-6 and days != right_days:
        raise CheckFailed(f"`days_needed` is {days:g}: round **up** to whole days with `math.ceil`.")
    require(days == right_days, f"`days_needed` is {days:g}, but 2 × {value:,.0f} visitors at {visitors_per_day:,} "
                                f"a day take {right_days} whole days.")
    passed(f"{value:,.0f} visitors per group, {2 * value:,.0f} in total: {right_days} days of traffic. Decide this "
           "before the test starts, and look at the result once, at the end.")


# ------------------------------------------------------------------------------------------ task 2

_ALLOWED = ("advance", "wait", "rollback")


def _scenarios(slo: dict) -> list[tuple[str, dict, tuple[str, ...], str]]:
    """(name, window, acceptable decisions, hint if wrong) for a set of windows around the SLO's limits."""
    n = max(5 * int(slo["min_requests"]), 1000)
    ok_errors = int(n * slo["max_error_rate"] * 0.4)
    ok_blocked = int(n * slo["max_block_rate"] * 0.6)
    ok_p99 = slo["max_p99_ms"] * 0.7

    def window(requests=n, errors=ok_errors, blocked=ok_blocked, p99_ms=ok_p99):
        return {"requests": requests, "errors": errors, "blocked": blocked, "p99_ms": float(p99_ms)}

    few = max(int(slo["min_requests"]) // 3, 1)
    at_limit_errors = round(n * slo["max_error_rate"])
    at_limit_blocked = round(n * slo["max_block_rate"])
    return [
        ("a healthy window with plenty of traffic", window(), ("advance",),
         "Every limit is met and there are enough requests: advance. If you rolled back, are you comparing the "
         "error or block *count* with a *rate*? Divide by `window[\"requests\"]`."),
        ("a healthy window with too little traffic", window(requests=few, errors=0, blocked=int(few * 0.01)),
         ("wait",), f"Only {few} requests, fewer than `min_requests`: return \"wait\". A canary must not advance "
         "on too little evidence."),
        ("too little traffic, high error rate", window(requests=few, errors=max(few // 10, 1), blocked=0),
         ("wait", "rollback"), f"With only {few} requests you must not advance."),
        ("exactly `min_requests` requests, healthy", window(requests=int(slo["min_requests"]),
                                                            errors=0, blocked=int(slo["min_requests"] * 0.01)),
         ("advance",), "`min_requests` requests are enough: wait only when there are *fewer* (`<`, not `<=`)."),
        ("error rate above the SLO", window(errors=int(n * slo["max_error_rate"] * 1.5)), ("rollback",),
         "The error rate (errors / requests) is above `max_error_rate`: roll back."),
        ("p99 latency above the SLO", window(p99_ms=slo["max_p99_ms"] * 1.3), ("rollback",),
         "The p99 latency is above `max_p99_ms`: roll back."),
        ("block rate above the SLO (errors and latency fine)", window(blocked=int(n * slo["max_block_rate"] * 1.4)),
         ("rollback",), "The block rate (blocked / requests) is above `max_block_rate`: roll back. This is the "
         "model-quality guardrail: errors and latency can be perfect while the model blocks too many payments."),
        ("every metric exactly at its limit", window(errors=at_limit_errors, blocked=at_limit_blocked,
                                                     p99_ms=slo["max_p99_ms"]), ("advance",),
         "At the limit is not above it: roll back only when a value is *strictly greater* (`>`)."),
    ]


def check_canary_decision(decide: Callable | None, slo: dict) -> None:
    """Run the learner's decision function on windows around the limits; name the first wrong decision."""
    require_function(decide, "decide", shape="decide(window, slo)")
    for name, window, acceptable, hint in _scenarios(slo):
        result = call_learner(decide, dict(window), dict(slo), name="decide", where=f"on {name}",
                              signature="decide(window, slo)",
                              hints={KeyError: f"The window has the keys {sorted(window)} and the SLO the keys "
                                               f"{sorted(slo)}."})
        require(isinstance(result, tuple) and len(result) == 2,
                f"On {name}, your function returned {result!r}. Return a tuple `(decision, reason)`, e.g. "
                "`return \"rollback\", \"p99 latency 310 ms\"`.")
        decision, reason = result
        if isinstance(decision, str) and decision.strip().lower() in _ALLOWED and decision not in _ALLOWED:
            raise CheckFailed(f"The decision {decision!r} should be exactly one of {_ALLOWED} (lower case, no spaces).")
        require(decision in _ALLOWED, f"On {name}, the decision is {decision!r}; it must be one of {_ALLOWED}.")
        require(isinstance(reason, str) and reason.strip(),
                f"On {name}, the reason is {reason!r}. Give a short, non-empty string for the deploy log.")
        require(decision in acceptable, f"On {name} ({window}), your function says {decision!r}. {hint}")
    passed("Your decision function waits on thin evidence, rolls back on any breached SLO (rates, not counts) and "
           "advances at the limits. This is the logic you would encode as the success conditions of an "
           "Argo Rollouts analysis.")


# ------------------------------------------------------------------------------------------ task 3


def _version_str(value: Any, name: str) -> str:
    require_done(value, name)
    if hasattr(value, "version") and hasattr(value, "name"):
        raise CheckFailed(f"`{name}` holds a ModelVersion object. Store its number: `{name} = mv.version`.")
    require(isinstance(value, (str, int)) and not isinstance(value, bool),
            f"`{name}` should be a version number such as \"2\", not a {type(value).__name__}: {value!r}.")
    return str(value)


def check_alias_rollback(rolled_back_to, champion_model, *, model_name: str, X_check) -> None:
    """champion on the recorded previous champion, the bad version kept and tagged, the model loaded by alias."""
    import mlflow
    import numpy as np
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    version = _version_str(rolled_back_to, "rolled_back_to")
    require_done(champion_model, "champion_model")
    client = MlflowClient()
    registered = client.get_registered_model(model_name)
    aliases = {alias: str(v) for alias, v in dict(registered.aliases).items()}
    for alias in aliases:
        if alias.lower() == "champion" and alias != "champion":
            raise CheckFailed(f"There is an alias {alias!r}. Alias names are case-sensitive, and serving loads "
                              "`@champion`: move `champion` itself.")
    good = registered.tags.get("previous_champion")
    try:
        bad = client.get_model_version(model_name, "4")
    except MlflowException:
        raise CheckFailed("Version 4 no longer exists. Never delete a version to roll back: it is evidence for the "
                          "postmortem, and a deleted version cannot be compared or restored. Re-run the registry "
                          "cell and roll back by moving the alias only.") from None
    versions = [client.get_model_version(model_name, v) for v in ("1", "2", "3")] + [bad]
    staged = [v for v in versions if getattr(v, "current_stage", "None") not in (None, "None", "")]
    if staged:
        raise CheckFailed(f"Version {staged[0].version} is in the stage {staged[0].current_stage!r}. Registry stages "
                          "are deprecated since MLflow 2.9: move the alias with "
                          "`client.set_registered_model_alias(name, \"champion\", version)`.")
    champion = aliases.get("champion")
    require(champion is not None, "The registered model has no `champion` alias any more. Did you delete it? "
                                  "Point it at the last known-good version instead.")
    require(champion != "4", "`champion` still points to version 4: move it with `client.set_registered_model_alias`.")
    if champion == "3":
        raise CheckFailed("`champion` points to version 3, which failed validation and never served (see its tag "
                          "`validation_status`). \"The version before the latest\" is not the last known-good "
                          "version: read it from the registered model's tag `previous_champion`.")
    require(champion == good, f"`champion` points to version {champion}, but the last version that served well, "
                              f"recorded in the tag `previous_champion`, is {good}.")
    require(version == champion, f"`rolled_back_to` is {version!r}, but the registry says `champion` points to "
                                 f"{champion!r}. Read it back with `client.get_model_version_by_alias`.")
    reason = bad.tags.get("rolled_back", "")
    require(bool(reason.strip()), "Version 4 has no `rolled_back` tag with a reason: "
                                  "`client.set_model_version_tag(MODEL_NAME, \"4\", \"rolled_back\", \"why\")`.")
    if isinstance(champion_model, str):
        raise CheckFailed("`champion_model` is a string. Load the model itself: "
                          "`mlflow.sklearn.load_model(f\"models:/{MODEL_NAME}@champion\")`.")
    require(hasattr(champion_model, "predict"),
            f"`champion_model` should be a loaded model with a `predict` method, not a {type(champion_model).__name__}.")
    reference = mlflow.sklearn.load_model(f"models:/{model_name}/{champion}").predict_proba(X_check)
    try:
        got = champion_model.predict_proba(X_check)
    except Exception as exc:  # noqa: BLE001
        raise CheckFailed(f"`champion_model.predict_proba(X_check)` failed: {type(exc).__name__}: {exc}") from None
    if not np.allclose(got, reference):
        was_bad = np.allclose(got, mlflow.sklearn.load_model(f"models:/{model_name}/4").predict_proba(X_check))
        raise CheckFailed("`champion_model` predicts like version 4: you loaded it before moving the alias. An alias "
                          "is resolved at load time; load again after the rollback." if was_bad else
                          f"`champion_model` does not predict like version {champion}. Load it by alias, after the "
                          "rollback: `mlflow.sklearn.load_model(f\"models:/{MODEL_NAME}@champion\")`.")
    passed(f"`champion` is back on version {champion}, the recorded last known-good version; version 4 is kept and "
           "tagged with why, and the reloaded model predicts like the rolled-back version.")


# ------------------------------------------------------------------------------------------ task 4

_COLUMNS = ["cadence_weeks", "retrain_cost_per_week", "degradation_cost_per_week", "total_cost_per_week"]


def check_retraining_cadence(decay_per_week, table, cadence_weeks, justification, *, weekly_fraud_caught: list,
                             retrain_cost: float, value_per_point_week: float, label_delay_weeks: float,
                             options: list, min_words: int = 25) -> None:
    """A decay in points per week, a cost table from the chapter's model, a near-cheapest cadence, and a reason."""
    import numpy as np
    import pandas as pd

    require_done(decay_per_week, "decay_per_week")
    decay = require_number(decay_per_week, "decay_per_week")
    weeks = np.arange(len(weekly_fraud_caught))
    fitted = -float(np.polyfit(weeks, np.asarray(weekly_fraud_caught) * 100, 1)[0])
    if decay < 0 and abs(-decay - fitted) <= 0.15 * fitted:
        raise CheckFailed(f"`decay_per_week` is {decay:.3g}: that is the slope of the line, which is negative "
                          "because the share falls. Give the decay as a positive loss per week.")
    if abs(decay * 100 - fitted) <= 0.15 * fitted or abs(-decay * 100 - fitted) <= 0.15 * fitted:
        raise CheckFailed(f"`decay_per_week` is {decay:.3g}: that is in fractions per week. Give it in percentage "
                          "points (multiply the shares by 100 before fitting).")
    require(abs(decay - fitted) <= 0.15 * fitted,
            f"`decay_per_week` is {decay:.3g}, but a straight line through the weekly values loses about "
            f"{fitted:.2f} points per week. Fit with `np.polyfit(weeks, percentages, 1)` and take minus the slope.")

    require_done(table, "table")
    require(isinstance(table, pd.DataFrame), f"`table` should be a pandas DataFrame, not a {type(table).__name__}.")
    frame = table.reset_index() if "cadence_weeks" not in table.columns else table
    missing = [c for c in _COLUMNS if c not in frame.columns]
    require(not missing, f"`table` lacks the column(s) {missing}; it needs {_COLUMNS}.")
    require(sorted(frame["cadence_weeks"].tolist()) == sorted(options),
            f"`table` has the cadences {sorted(frame['cadence_weeks'].tolist())}; it needs one row per option in "
            f"{sorted(options)}.")
    def cost_close(a, b) -> bool:  # a cost rounded to a percent still counts
        return close(a, b, rel=0.01, abs=1e-9)

    for _, row in frame.iterrows():
        t = float(row["cadence_weeks"])
        retrain = retrain_cost / t
        degrade = value_per_point_week * decay * (label_delay_weeks + t / 2)
        if not cost_close(row["retrain_cost_per_week"], retrain):
            require(not cost_close(row["retrain_cost_per_week"], retrain_cost),
                    "`retrain_cost_per_week` equals the cost of one retraining: divide it by the cadence T.")
            raise CheckFailed(f"For T = {t:g}, `retrain_cost_per_week` should be {retrain_cost:g} / {t:g} = "
                              f"{retrain:.0f}, not {float(row['retrain_cost_per_week']):.0f}.")
        if not cost_close(row["degradation_cost_per_week"], degrade):
            value = float(row["degradation_cost_per_week"])
            if cost_close(value, value_per_point_week * decay * t / 2):
                raise CheckFailed("`degradation_cost_per_week` leaves out the label delay: a fresh model is already "
                                  f"{label_delay_weeks:g} week(s) old, so its average age is label delay + T / 2.")
            if cost_close(value, value_per_point_week * decay * (label_delay_weeks + t)):
                raise CheckFailed("`degradation_cost_per_week` uses an average age of label delay + T. Over a cycle "
                                  "of T weeks the model's average age grows by T / 2, not T.")
            raise CheckFailed(f"For T = {t:g}, `degradation_cost_per_week` should be {value_per_point_week:g} × "
                              f"{decay:.2f} × ({label_delay_weeks:g} + {t:g} / 2) = {degrade:.0f}, not {value:.0f}.")
        require(cost_close(row["total_cost_per_week"], retrain + degrade),
                f"For T = {t:g}, `total_cost_per_week` should be the sum of the two costs, {retrain + degrade:.0f}.")

    require_done(cadence_weeks, "cadence_weeks")
    cadence = require_number(cadence_weeks, "cadence_weeks")
    require(cadence in options, f"`cadence_weeks` is {cadence:g}; choose one of {options}.")
    totals = {t: retrain_cost / t + value_per_point_week * decay * (label_delay_weeks + t / 2) for t in options}
    cheapest = min(totals, key=totals.get)
    require(totals[cadence] <= 1.15 * totals[cheapest],
            f"Retraining every {cadence:g} weeks costs {totals[cadence]:.0f} a week, "
            f"{totals[cadence] / totals[cheapest] - 1:.0%} more than the cheapest option ({cheapest} weeks, "
            f"{totals[cheapest]:.0f}). Choose a cadence within 15 % of the cheapest, or change the inputs you "
            "can defend (e.g. a cheaper, automated retraining).")

    require_prose(justification, "justification", min_words,
                  f"write a few sentences (at least {min_words} words): the cost you expect, why this cadence and not "
                  "its neighbours, and what you will watch.")
    require(bool(re.search(r"\d", justification)),
            "Your justification quotes no number. A planning document states the decay, the cost or the cadence "
            "it relies on.")
    passed(f"Retrain every {cadence:g} weeks: {totals[cadence]:.0f} a week, against {totals[cheapest]:.0f} for the "
           f"cheapest option ({cheapest} weeks). Re-measure the decay, and let drift alerts trigger retraining "
           "between scheduled runs.")
