"""Self-checks for exercise 09, *Monitoring and drift*.

The exercise's world is chapter 09's: the order simulator, PSI, the rule-file validator and the way it runs
promtool are the chapter's own cells, generated into :mod:`coursekit.exports.ch09`, and the exercise's streams,
metrics page and synthetic traffic are in :mod:`coursekit.worlds.ch09` (both re-exported here). Each check
recomputes the right answer with them, then diagnoses the usual mistakes (bins from the wrong sample, no epsilon,
counts instead of shares, log10, a false-alarm rate that ignores the consecutive rule, latency in milliseconds, a
drift alert that pages...) with a message that says what is wrong and how to fix it.

Task 3's rule file is judged by Prometheus' own tool where it can be: ``promtool check rules`` is the arbiter of its
syntax and ``promtool test rules`` of its alerts' behaviour on synthetic traffic. The hand-written messages stay
where promtool's would be cryptic to a learner (what a duration looks like, a quantile written as 99, milliseconds
instead of seconds, a per-pod p99), and the validator checks what promtool cannot know: the metric names the
service exposes. A missing promtool is an error that says how to install it, never a silent pass.
"""

from __future__ import annotations

import copy
import math
import re
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from coursekit.checks import (
    CheckFailed,
    call_learner,
    close,
    diagnose,
    passed,
    require,
    require_done,
    require_fraction,
    require_function,
    require_number,
    require_prose,
    require_raises,
    within,
)
from coursekit.exports.ch09 import (
    CATEGORICAL,
    CATEGORIES,
    CHANNELS,
    FEATURES,
    NUMERIC,
    ToolMissing,
    duration_seconds,
    metric_names,
    orders,
    promtool,
    validate_rules,
)
from coursekit.worlds.ch09 import (
    DRIFT_START_DAY,
    ORDERS_PER_DAY,
    SERVICE_METRICS,
    exercise_streams,
    exposed_series,
    latency_traffic,
    prediction_traffic,
    promtool_test,
    service_exposition,
    window_psi,
)

__all__ = [
    "NUMERIC", "CATEGORICAL", "FEATURES", "CHANNELS", "CATEGORIES", "orders",
    "exercise_streams", "window_psi", "ALERT_TARGETS", "DRIFT_START_DAY", "ORDERS_PER_DAY",
    "SERVICE_METRICS", "service_exposition", "exposed_series", "metric_names", "validate_rules", "duration_seconds",
    "promtool_check", "ToolMissing",
    "check_psi", "check_alert_settings", "check_alert_rules", "check_monitoring_plan",
]


# --------------------------------------------------------------------------------------------------
# Task 1: implement PSI
# --------------------------------------------------------------------------------------------------


def _psi_with_mistake(expected, actual, bins=10, eps=1e-4, *, edges_from="expected", binning="quantile",
                      shares=True, log=np.log, use_eps=True, open_ends=True, sign=1.0) -> float:
    """PSI computed with one typical mistake, to recognise the learner's value."""
    expected = np.asarray(expected, dtype=float)
    actual = np.asarray(actual, dtype=float)
    source = expected if edges_from == "expected" else actual
    if binning == "quantile":
        edges = np.quantile(source, np.linspace(0, 1, bins + 1))
    else:  # equal width over the reference's range
        edges = np.linspace(source.min(), source.max(), bins + 1)
    edges = np.unique(edges)
    if open_ends:
        inner = edges[1:-1]
        e = np.bincount(np.searchsorted(inner, expected, side="right"), minlength=len(inner) + 1).astype(float)
        a = np.bincount(np.searchsorted(inner, actual, side="right"), minlength=len(inner) + 1).astype(float)
    else:  # np.histogram drops whatever falls outside [first edge, last edge]
        e = np.histogram(expected, edges)[0].astype(float)
        a = np.histogram(actual, edges)[0].astype(float)
    if shares:
        e, a = e / len(expected), a / len(actual)
    if use_eps:
        e, a = np.maximum(e, eps), np.maximum(a, eps)
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(sign * np.sum((a - e) * log(a / e)))


def _psi_cases() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(9)
    reference = rng.normal(50, 10, 4000)
    return {
        "a wider, shifted sample": (reference, rng.normal(56, 14, 1500)),
        "a sample with empty bins": (reference, rng.normal(72, 4, 800)),   # above most of the reference
        "a slightly shifted sample": (reference, rng.normal(51.5, 10, 3000)),
    }


_PSI_MISTAKES: list[tuple[dict, str]] = [
    ({"edges_from": "actual"},
     "your bins come from the quantiles of `actual`. The bins must be the reference's (`expected`) quantiles, so "
     "that every window is compared on the same grid, the one where the reference has 10 % per bin."),
    ({"use_eps": False},
     "without epsilon, an empty bin gives log(0): your PSI is infinite (or NaN). Replace a share of 0 by eps, e.g. "
     "np.maximum(share, eps), before taking the log."),
    ({"shares": False},
     "you used counts instead of shares. Divide each sample's bin counts by that sample's size, so that both "
     "samples' shares sum to 1; otherwise PSI grows with the number of rows."),
    ({"log": np.log10},
     "you used log10. PSI uses the natural logarithm (np.log); log10 makes every value 2.3 times smaller and the "
     "usual thresholds (0.1, 0.25) meaningless."),
    ({"log": np.log2},
     "you used log2. PSI uses the natural logarithm (np.log)."),
    ({"sign": -1.0},
     "your PSI has the wrong sign: each term is (actual - expected) * ln(actual / expected), which is never "
     "negative."),
    ({"binning": "equal"},
     "your bins have equal widths. Use the reference's quantiles (np.quantile(expected, ...)) as bin edges, so "
     "that each bin holds about 10 % of the reference."),
    ({"open_ends": False},
     "values outside the reference's range are dropped (np.histogram ignores what falls outside the first and "
     "last edge). Make the first and last bins open-ended: use only the inner edges (e.g. with np.searchsorted), "
     "or set the outer edges to -inf and +inf."),
]


def _call_psi(fn, args: tuple, what: str) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        value = call_learner(fn, *args, bins=10, eps=1e-4, name="psi", where=f"on {what}",
                             signature="psi(expected, actual, bins=10, eps=1e-4)")
    if isinstance(value, (np.ndarray, list, tuple, pd.Series)) and np.size(value) > 1:
        raise CheckFailed(f"On {what}, psi returned {np.size(value)} values: return one number, the SUM of the "
                          "per-bin terms.")
    return require_number(value, f"psi(...) on {what}")


def check_psi(psi_fn: Any) -> None:
    """The learner's psi matches the chapter's on three cases, and raises ValueError on bad input."""
    from coursekit.checks._answers.ch09 import psi

    require_function(psi_fn, "psi", reference=psi)
    same = np.random.default_rng(3).normal(0, 1, 1000)
    value = _call_psi(psi_fn, (same, same.copy()), "two identical samples")
    require(abs(value) < 1e-9, f"psi of two identical samples should be 0, but yours gives {value:g}. Check that "
                               "both samples are binned with the same edges and turned into shares the same way.")
    for what, (expected, actual) in _psi_cases().items():
        value = _call_psi(psi_fn, (expected, actual), what)
        right = psi(expected, actual)
        if close(value, right, rel=0.02, abs=1e-3):
            continue
        diagnose(value, what, right, [(_psi_with_mistake(expected, actual, **options), message)
                                      for options, message in _PSI_MISTAKES],
                 close=within(rel=0.02, abs=1e-3),
                 template="On {name}, your psi gives {value:.4f} instead of {right:.4f}: {message}")
        if value < 0:
            raise CheckFailed(f"On {what}, your psi gives {value:.4f}: PSI is a sum of terms that are never negative. "
                              "Check the sign of (actual - expected) and of the log ratio.")
        if not math.isfinite(value):
            raise CheckFailed(f"On {what}, your psi gives {value}: an empty bin makes log(0). Replace shares of 0 by "
                              "eps before taking the log.")
        raise CheckFailed(f"On {what}, your psi gives {value:.4f}, but the expected value is {right:.4f}. Bins: the "
                          "reference's deciles (np.quantile(expected, [0.1, ..., 0.9])), first and last open-ended; "
                          "shares, not counts; zero shares replaced by eps; natural log.")
    for bad, what in (((np.array([]), same), "an empty `expected`"), ((same, np.array([])), "an empty `actual`"),
                      ((same, np.r_[same[:10], np.nan]), "an `actual` containing NaN")):
        require_raises(psi_fn, *bad, bins=10, eps=1e-4, name="psi", given=what,
                       wrong_kind="Raise ValueError with a message that says what is wrong, so a monitoring job fails "
                                  "loudly and clearly.",
                       returned=". A drift score computed from no data (or from NaN) must not look like a number.")
    passed("psi matches the reference on all cases (identical samples, a shift, empty bins, a small shift) and "
           "rejects empty or NaN input.")


# --------------------------------------------------------------------------------------------------
# Task 2: a windowed PSI alert and its false-alarm rate
# --------------------------------------------------------------------------------------------------

ALERT_TARGETS = {"max_false_alarm_rate": 0.01, "max_delay_days": 14}


def check_alert_settings(window_days, threshold, consecutive, false_alarm_rate, detection_delay_days) -> None:
    """The rule meets the targets, and the learner measured its false-alarm rate and delay correctly."""
    from coursekit.checks._answers.ch09 import evaluate_alert

    for value, name in ((window_days, "window_days"), (threshold, "threshold"), (consecutive, "consecutive"),
                        (false_alarm_rate, "false_alarm_rate"), (detection_delay_days, "detection_delay_days")):
        require_done(value, name)
    days = require_number(window_days, "window_days")
    require(days == int(days) and 1 <= days <= 28,
            f"`window_days` is {days:g}: use a whole number of days from 1 to 28 (windows are whole days).")
    count = require_number(consecutive, "consecutive")
    require(count == int(count) and 1 <= count <= 10,
            f"`consecutive` is {count:g}: it counts windows in a row, a whole number from 1 (fire at once) up.")
    limit = require_number(threshold, "threshold")
    require(limit > 0, f"`threshold` is {limit:g}: PSI is never negative, so a threshold of 0 or less fires always.")
    require(limit < 2, f"`threshold` is {limit:g}: PSI of real drift in this data stays well below that (a "
                       "percentage?). Typical PSI thresholds are between 0.1 and 0.3.")
    result = evaluate_alert(int(days), limit, int(count))
    measured = require_fraction(false_alarm_rate, "false_alarm_rate")
    n, k = result["windows"], result["false_alarms"]
    if not math.isclose(measured, result["false_alarm_rate"], abs_tol=1e-9):
        if math.isclose(measured, result["rate_without_consecutive"], abs_tol=1e-9) and count > 1:
            raise CheckFailed(f"`false_alarm_rate` = {measured:.4f} is the share of windows with PSI above the threshold, "
                              f"but your rule only fires after {count:g} such windows in a row: it fires in {k} of "
                              f"{n} windows. Apply the consecutive rule before counting.")
        raise CheckFailed(f"`false_alarm_rate` = {measured:.4f}, but this rule fires in {k} of the {n} complete "
                          f"{days:g}-day windows of `quiet_days` ({result['false_alarm_rate']:.4f}). Count firing "
                          "windows (after the consecutive rule) and divide by the number of complete windows.")
    target = ALERT_TARGETS["max_false_alarm_rate"]
    if result["false_alarm_rate"] > target:
        raise CheckFailed(f"This rule fires in {k} of {n} drift-free windows ({result['false_alarm_rate']:.1%}), above "
                          f"the {target:.0%} target: on-call would learn to ignore it. Raise the threshold, use longer "
                          "windows (more orders per window, less noise) or require more windows in a row.")
    delay = result["delay_days"]
    max_delay = ALERT_TARGETS["max_delay_days"]
    if delay is None:
        raise CheckFailed("This rule never fires on `drifted_days`: it is quiet, but it also misses the campaign. "
                          "Lower the threshold or shorten the windows, and re-measure the false alarms.")
    reported = require_number(detection_delay_days, "detection_delay_days")
    if reported != delay:
        raise CheckFailed(f"`detection_delay_days` = {reported:g}, but the rule first fires at the end of a window that "
                          f"closes {delay} days after the drift starts (day {DRIFT_START_DAY}). Delay = (index of the "
                          "first firing window + 1) × window_days - drift_start_day, counting only windows that end "
                          "after the drift started.")
    if delay > max_delay:
        raise CheckFailed(f"This rule first fires {delay} days after the campaign starts: the target is at most "
                          f"{max_delay}. Shorter windows or fewer windows in a row detect sooner; check the false "
                          "alarms again after each change.")
    passed(f"{days:g}-day windows, PSI > {limit:g} for {count:g} window(s) in a row: {k} false alarm(s) in {n} "
           f"drift-free windows ({result['false_alarm_rate']:.1%}), campaign detected after {delay} days.")


# --------------------------------------------------------------------------------------------------
# Task 3: alert rules in PromQL, checked against what the service exposes
# --------------------------------------------------------------------------------------------------

RULES_FILE = "rules.yml"       # the name promtool's messages give the learner's file


def _run_promtool(rules_yaml: str, *args: str, tests: dict | None = None, rules_doc: dict | None = None):
    """Run promtool on the learner's rules (or a copy, `rules_doc`) in a temporary folder; return its result."""
    with tempfile.TemporaryDirectory(prefix="ch09-promtool-") as folder:
        text = rules_yaml if rules_doc is None else yaml.safe_dump(rules_doc, sort_keys=False)
        (Path(folder) / RULES_FILE).write_text(text, encoding="utf-8")
        if tests is not None:
            (Path(folder) / "tests.yml").write_text(yaml.safe_dump(tests, sort_keys=False), encoding="utf-8")
        return promtool(*args, cwd=folder)


def promtool_check(rules_yaml: str) -> str:
    """What `promtool check rules` says about your rule file (the YAML text): print it while you work on it."""
    return _run_promtool(rules_yaml, "check", "rules", RULES_FILE).stdout.strip()


def _excerpt(output: str, lines: int = 24) -> str:
    """promtool's report, without its header and blank lines, at most `lines` lines."""
    kept = [line.rstrip() for line in output.splitlines()
            if line.strip() and not line.startswith(("Checking ", "Unit Testing:"))]
    return "\n".join(["    " + line for line in kept[:lines]] + (["    ..."] if len(kept) > lines else []))


def _rules_from(rules_yaml) -> list[dict]:
    """The alerts of a rule file that parses as YAML, passes `promtool check rules` and the chapter's validator."""
    require_done(rules_yaml, "rules_yaml")
    require(isinstance(rules_yaml, str), f"`rules_yaml` should be the YAML text (a string), but it is a "
                                         f"{type(rules_yaml).__name__}.")
    try:
        doc = yaml.safe_load(rules_yaml)
    except yaml.YAMLError as exc:
        raise CheckFailed(f"`rules_yaml` is not valid YAML: {str(exc).splitlines()[0]}. Check the indentation, and "
                          "quote expressions that start with { or contain ': '.") from None
    checked = _run_promtool(rules_yaml, "check", "rules", RULES_FILE)
    problems = validate_rules(doc, exposed_series())
    if checked.returncode != 0:
        message = f"`promtool check rules` rejects the file:\n{_excerpt(checked.stdout)}"
        if problems:
            message += "\nIn other words:\n- " + "\n- ".join(problems)
        raise CheckFailed(message)
    if problems:
        raise CheckFailed("`promtool check rules` accepts the file, but it has problems promtool cannot see:\n- "
                          + "\n- ".join(problems))
    return [rule for group in doc["groups"] for rule in group["rules"] if "alert" in rule]


def _as_tested(rules_yaml: str) -> dict:
    """The learner's rule file with annotations dropped and only `severity` among each alert's labels, so that the
    unit tests can state exactly what a firing alert looks like (the wording of a summary is not under test)."""
    doc = copy.deepcopy(yaml.safe_load(rules_yaml))
    for group in doc["groups"]:
        for rule in group["rules"]:
            if "alert" in rule:
                rule.pop("annotations", None)
                rule["labels"] = {"severity": rule["labels"]["severity"]}
    return doc


def _behaves(rules_yaml: str, alert: str, severity: str, interval: str, evaluation_interval: str,
             input_series: list[dict], expected: list[tuple[str, bool]], explanation: str) -> None:
    """`promtool test rules`: at each (eval_time, fires), the alert fires once with only `severity`, or not at all."""
    tests = promtool_test(RULES_FILE, interval, evaluation_interval, input_series, [
        {"eval_time": at, "alertname": alert,
         "exp_alerts": [{"exp_labels": {"severity": severity}}] if fires else []} for at, fires in expected])
    result = _run_promtool(rules_yaml, "test", "rules", "tests.yml", tests=tests, rules_doc=_as_tested(rules_yaml))
    if result.returncode != 0:
        raise CheckFailed(f"{explanation}\n`promtool test rules` reports:\n{_excerpt(result.stdout)}")


def _check_behaviour(rules_yaml: str, latency: dict, share: dict, reference_share: float) -> None:
    """Both alerts, run by promtool on synthetic traffic from two pods: the arbiter of how they behave."""
    name = latency["alert"]
    _behaves(rules_yaml, name, "page", "15s", "1m", latency_traffic(slow_share=0.02), [("8m", False), ("15m", True)],
             f"On synthetic traffic from two pods in which 2 % of requests take 250 to 500 ms (a fleet-wide p99 of "
             f"about 375 ms, from the start), alert {name!r} should be pending at 8 minutes and fire at 15 minutes: "
             "once, for the whole fleet, labelled severity=page. It does not. If it fires once per pod, aggregate the "
             "buckets over pods before taking the quantile: histogram_quantile(0.99, sum by (le) "
             "(rate(model_request_duration_seconds_bucket[5m]))), keeping only `le`. If it never fires, check the "
             "threshold (0.25, in seconds) and the window.")
    _behaves(rules_yaml, name, "page", "15s", "1m", latency_traffic(slow_share=0.0), [("20m", False)],
             f"On synthetic traffic whose p99 is about 235 ms, under the 250 ms target, alert {name!r} fires. It should "
             "stay quiet: fire when histogram_quantile(0.99, ...) > 0.25.")
    name = share["alert"]
    moved = [("up", 0.35, "rises to 0.35"), ("down", 0.10, "falls to 0.10")]
    for _, value, how in moved:
        _behaves(rules_yaml, name, "ticket", "15m", "1h", prediction_traffic(value), [("26h", True)],
                 f"On synthetic traffic from two pods in which the share of \"returned\" predictions {how} for more "
                 f"than a day (the reference is {reference_share:g}), alert {name!r} should fire by 26 hours: once, "
                 "labelled severity=ticket. It does not. The share can move either way: compare abs(share - reference) "
                 "with 0.05, where share = sum(rate(...{predicted_class=\"returned\"}[1d])) / "
                 "sum(rate(model_predictions_total[1d])); the sums make it one share for the fleet.")
    steady = reference_share + 0.02
    _behaves(rules_yaml, name, "ticket", "15m", "1h", prediction_traffic(steady), [("30h", False)],
             f"On synthetic traffic in which the share of \"returned\" predictions stays at {steady:g}, within 0.05 of "
             f"the reference {reference_share:g}, alert {name!r} fires. It should stay quiet. Divide the returned "
             "predictions by all predictions (returned and kept), not by the kept ones.")


def _comparison(expr: str) -> float | None:
    match = re.search(r">=?\s*([0-9.]+(?:[eE][+-]?\d+)?)\s*$", expr.strip())
    return float(match.group(1)) if match else None


def check_alert_rules(rules_yaml, reference_share: float) -> None:
    """A rule file that promtool accepts, with a p99 latency page and a positive-share ticket on metrics the service
    exposes, whose alerts behave as asked on synthetic traffic (promtool test rules)."""
    alerts = _rules_from(rules_yaml)
    latency = [a for a in alerts if "model_request_duration_seconds" in a["expr"]]
    require(latency, "No alert reads model_request_duration_seconds: add the p99 latency alert.")
    rule = latency[0]
    expr = rule["expr"]
    require("histogram_quantile" in expr,
            f"Alert {rule['alert']!r}: a p99 comes from histogram_quantile(0.99, ...) over the `_bucket` series. "
            "rate(_sum) / rate(_count) is the mean latency, which hides the tail.")
    require(re.search(r"histogram_quantile\s*\(\s*0?\.99\s*,", expr) is not None,
            f"Alert {rule['alert']!r}: the task asks for the 99th percentile: histogram_quantile(0.99, ...).")
    require(re.search(r"(rate|increase)\s*\(\s*model_request_duration_seconds_bucket", expr) is not None,
            f"Alert {rule['alert']!r}: buckets are counters that only grow; take rate(..._bucket[5m]) first, so the "
            "quantile describes the last minutes, not the whole life of the process.")
    if re.search(r"\bsum\b", expr) and not re.search(r"\b(by|without)\s*\([^)]*\ble\b", expr):
        raise CheckFailed(f"Alert {rule['alert']!r}: when you sum the buckets over pods, keep the `le` label "
                          "(sum by (le) (rate(...))): histogram_quantile needs it to know each bucket's bound.")
    limit = _comparison(expr)
    require(limit is not None, f"Alert {rule['alert']!r}: end the expression with the comparison, e.g. `> 0.25`.")
    if math.isclose(limit, 250):
        raise CheckFailed(f"Alert {rule['alert']!r} compares with {limit:g}: the metric is in seconds (its name ends "
                          "in _seconds), so 250 ms is 0.25.")
    require(math.isclose(limit, 0.25), f"Alert {rule['alert']!r} compares with {limit:g}; the SLO is 250 ms = 0.25 s.")
    require(duration_seconds(rule.get("for")) == 600,
            f"Alert {rule['alert']!r}: the latency must stay high for 10 minutes before it pages: `for: 10m` (it is "
            f"{rule.get('for', 'missing')!r}).")
    require(rule["labels"]["severity"] == "page",
            f"Alert {rule['alert']!r}: slow answers hurt users now and on-call can act (scale out, roll back): "
            "severity page.")

    latency_rule = rule
    share = [a for a in alerts if "model_predictions_total" in a["expr"]]
    require(share, "No alert reads model_predictions_total: add the alert on the share of \"returned\" predictions.")
    rule = share[0]
    expr = rule["expr"]
    require(re.search(r'predicted_class\s*=\s*"returned"', expr) is not None,
            f"Alert {rule['alert']!r}: select the positive class in the numerator: "
            'model_predictions_total{predicted_class="returned"}.')
    require("/" in expr, f"Alert {rule['alert']!r}: a share is a ratio: returned predictions / all predictions.")
    require(re.search(r"(rate|increase)\s*\(\s*model_predictions_total", expr) is not None,
            f"Alert {rule['alert']!r}: counters only grow; compare rate(...[1d]) of the counters, i.e. the last "
            "day's predictions, not the totals since the process started.")
    require(re.search(r"\[\s*1d\s*\]|\[\s*24h\s*\]", expr) is not None,
            f"Alert {rule['alert']!r}: use a one-day window, [1d], as the task asks: a share over minutes is noise.")
    numbers = {float(n) for n in re.findall(r"(?<![\w.])\d*\.\d+|(?<![\w.])\d+(?![\w.])", expr)}
    require(any(math.isclose(n, reference_share, abs_tol=5e-4) for n in numbers),
            f"Alert {rule['alert']!r}: compare with the reference share REFERENCE_SHARE = {reference_share:.3f} "
            "(the share on validation data); I cannot find it in the expression.")
    require("abs(" in expr.replace(" ", ""),
            f"Alert {rule['alert']!r}: the share can move either way; wrap the difference in abs(...).")
    require(math.isclose(_comparison(expr) or -1, 0.05),
            f"Alert {rule['alert']!r}: fire when the share moved by more than 0.05: end with `> 0.05`.")
    require((duration_seconds(rule.get("for")) or 0) >= 3600,
            f"Alert {rule['alert']!r}: give it a `for:` of at least 1h (the task says 1d), so that one odd hour of "
            "traffic does not open a ticket.")
    require(rule["labels"]["severity"] == "ticket",
            f"Alert {rule['alert']!r}: a moved prediction share is a question for the model's owners in working "
            "hours (is it a campaign? an upstream change?), not something on-call can fix at 3 a.m.: severity ticket.")
    _check_behaviour(rules_yaml, latency_rule, rule, reference_share)
    passed("promtool accepts the rule file and its unit tests pass: the alerts read only metrics the service exposes, "
           "page on a fleet-wide p99 above 250 ms and open a ticket when the share of predicted returns moves.")


# --------------------------------------------------------------------------------------------------
# Task 4: a monitoring plan when the first labels arrive 30 days late
# --------------------------------------------------------------------------------------------------

LAYERS = ("service", "data", "prediction", "business")
PLAN_KEYS = {"signal", "layer", "owner", "needs_labels", "available_after_days", "alert"}
ALERT_KINDS = {"page", "ticket", "dashboard"}
_QUALITY_WORDS = ("accuracy", "precision", "recall", "auc", "f1", "calibration", "error rate of the model",
                  "false positive", "false negative", "chargeback rate")


def check_monitoring_plan(plan, justification, label_delay_days: int = 30, min_words: int = 40) -> None:
    """Every layer covered with an owner; label-free early signals; label-based signals no earlier than the delay."""
    require_done(plan, "plan")
    require(isinstance(plan, list) and plan and all(isinstance(item, dict) for item in plan),
            "`plan` should be a non-empty list of dicts, one per signal, as in the example row.")
    for i, item in enumerate(plan):
        missing = PLAN_KEYS - set(item)
        require(not missing, f"plan[{i}] ({item.get('signal', '?')!r}) lacks {sorted(missing)}.")
        require(item["layer"] in LAYERS, f"plan[{i}] ({item['signal']!r}): layer {item['layer']!r} is not one of "
                                         f"{list(LAYERS)}.")
        require(isinstance(item["owner"], str) and item["owner"].strip(),
                f"plan[{i}] ({item['signal']!r}): name an owner (a team), or nobody will act on it.")
        require(item["alert"] in ALERT_KINDS, f"plan[{i}] ({item['signal']!r}): alert must be one of "
                                              f"{sorted(ALERT_KINDS)}.")
        require(isinstance(item["needs_labels"], bool), f"plan[{i}] ({item['signal']!r}): needs_labels is True or "
                                                        "False.")
        days = require_number(item["available_after_days"], f"plan[{i}]['available_after_days']")
        require(days >= 0, f"plan[{i}] ({item['signal']!r}): available_after_days cannot be negative.")
        signal = str(item["signal"]).lower()
        if not item["needs_labels"] and any(word in signal for word in _QUALITY_WORDS):
            raise CheckFailed(f"plan[{i}] ({item['signal']!r}) says needs_labels=False, but measuring it needs the "
                              "true outcome: that is a label, which arrives late.")
        if item["needs_labels"] and days < label_delay_days:
            raise CheckFailed(f"plan[{i}] ({item['signal']!r}) needs labels but is available after {days:g} days: "
                              f"the first labels arrive {label_delay_days} days after the prediction, so it cannot be "
                              "sooner.")
        if item["layer"] in ("data", "prediction") and item["alert"] == "page":
            raise CheckFailed(f"plan[{i}] ({item['signal']!r}) pages on a {item['layer']} signal. Drift is not "
                              "something on-call can fix at night (a rollback does not change the inputs): route it "
                              "as a ticket to the model's owners, and page only on what on-call can act on.")
    for layer in LAYERS:
        require(any(item["layer"] == layer for item in plan),
                f"The plan has no {layer} signal: cover all four layers (service, data, prediction, business).")
    require(any(item["layer"] == "service" and item["alert"] == "page" for item in plan),
            "No service signal pages anyone: if the model service is down or slow, on-call must know now.")
    for layer in ("data", "prediction"):
        require(any(item["layer"] == layer and not item["needs_labels"] and item["available_after_days"] <= 1
                    for item in plan),
                f"Add a {layer} signal that needs no labels and is available within a day: with a "
                f"{label_delay_days}-day label delay it is your early warning.")
    require(any(item["needs_labels"] for item in plan),
            "No signal uses labels: without them you never learn whether the model is still right (concept drift is "
            "invisible to input and prediction monitoring). Add model quality once labels arrive.")
    text = require_prose(justification, "justification", min_words,
                         f"write at least {min_words}: why these signals, who acts on each, and what the label delay "
                         "means for when you can notice what.")
    require("label" in text and ("delay" in text or "late" in text or "30" in text),
            "Your justification should say what the 30-day label delay means for the plan.")
    passed(f"{len(plan)} signals over all four layers, with owners; label-free signals warn within a day, quality "
           f"signals arrive after the {label_delay_days}-day label delay.")
