"""Data, reference implementations and self-checks for exercise 09, *Monitoring and drift*.

The chapter simulates a model that predicts whether an online order will be returned; ``orders`` below is the
same simulator, so the exercise and these checks see the same world. The reference implementations (PSI, the
windowed alert, the rule-file validator) are the chapter's; each check recomputes the right answer with them,
then diagnoses the usual mistakes (bins from the wrong sample, no epsilon, counts instead of shares, log10, a
false-alarm rate that ignores the consecutive rule, latency in milliseconds, a drift alert that pages...) with a
message that says what is wrong and how to fix it.
"""

from __future__ import annotations

import difflib
import functools
import math
import re
import warnings
from typing import Any, Callable

import numpy as np
import pandas as pd
import yaml

from coursekit.checks import CheckFailed, passed, require, require_done, require_fraction, require_number, prose_words

__all__ = [
    "NUMERIC", "CATEGORICAL", "FEATURES", "CHANNELS", "CATEGORIES", "orders",
    "psi_from_shares", "psi", "psi_categorical",
    "exercise_streams", "window_psi", "alert_fires", "evaluate_alert", "ALERT_TARGETS",
    "service_exposition", "exposed_series", "metric_names", "validate_rules", "duration_seconds",
    "check_psi", "check_alert_settings", "check_alert_rules", "check_monitoring_plan",
]

# --------------------------------------------------------------------------------------------------
# The simulated world (identical to the chapter's; tests/test_checks_09.py compares the sources)
# --------------------------------------------------------------------------------------------------

NUMERIC = ["order_value", "items", "discount_pct", "tenure_days"]
CATEGORICAL = ["channel", "category"]
FEATURES = NUMERIC + CATEGORICAL
CHANNELS = ["web", "ios", "android"]
CATEGORIES = ["fashion", "electronics", "home"]


def orders(n, rng, *, discount_mean=10.0, channel_p=(0.55, 0.30, 0.15), return_shift=0.0):
    """n simulated orders and their labels ("returned" or "kept"), drawn with the generator rng.

    discount_mean and channel_p change what orders look like (covariate drift); return_shift changes how
    likely a return is for the same order (concept drift).
    """
    category = rng.choice(CATEGORIES, n, p=[0.5, 0.2, 0.3])
    channel = rng.choice(CHANNELS, n, p=channel_p)
    items = 1 + rng.poisson(1.2, n)
    order_value = np.round(rng.lognormal(np.log(45), 0.6, n) * items**0.7, 2)
    discount_pct = np.round(np.clip(rng.gamma(2.0, discount_mean / 2, n), 0, 80), 1)
    tenure_days = np.round(rng.exponential(400, n))
    logit = (-1.6 + 0.45 * (items - 1) + 0.06 * (discount_pct - 10) - 0.0015 * (tenure_days - 400)
             + 0.3 * np.log(order_value / 60)
             + np.select([category == "fashion", category == "electronics"], [0.7, -0.6], -0.5)
             + np.select([channel == "ios", channel == "android"], [0.05, 0.1], 0.0)
             + return_shift)
    returned = rng.random(n) < 1 / (1 + np.exp(-logit))
    X = pd.DataFrame({"order_value": order_value, "items": items, "discount_pct": discount_pct,
                      "tenure_days": tenure_days, "channel": channel, "category": category})
    return X, np.where(returned, "returned", "kept")


# --------------------------------------------------------------------------------------------------
# PSI, as in the chapter
# --------------------------------------------------------------------------------------------------


def psi_from_shares(expected_share, actual_share, eps: float = 1e-4) -> float:
    """PSI = sum over bins of (actual - expected) * ln(actual / expected); a share of 0 counts as eps."""
    e = np.maximum(np.asarray(expected_share, dtype=float), eps)
    a = np.maximum(np.asarray(actual_share, dtype=float), eps)
    return float(np.sum((a - e) * np.log(a / e)))


def psi(expected, actual, bins: int = 10, eps: float = 1e-4) -> float:
    """Population Stability Index of the sample `actual` against the reference sample `expected`."""
    expected = np.asarray(expected, dtype=float)
    actual = np.asarray(actual, dtype=float)
    if expected.ndim != 1 or actual.ndim != 1 or len(expected) == 0 or len(actual) == 0:
        raise ValueError("psi needs two non-empty one-dimensional samples")
    if np.isnan(expected).any() or np.isnan(actual).any():
        raise ValueError("psi got NaN values: count missing values separately (a null-rate check), then drop them")
    if bins < 2:
        raise ValueError("psi needs at least 2 bins")
    inner = np.unique(np.quantile(expected, np.linspace(0, 1, bins + 1)[1:-1]))  # the reference's deciles
    expected_share = np.bincount(np.searchsorted(inner, expected, side="right"), minlength=len(inner) + 1)
    actual_share = np.bincount(np.searchsorted(inner, actual, side="right"), minlength=len(inner) + 1)
    return psi_from_shares(expected_share / len(expected), actual_share / len(actual), eps)


def psi_categorical(expected, actual, eps: float = 1e-4) -> float:
    """PSI over category shares: one bin per category seen in either sample."""
    expected, actual = pd.Series(expected), pd.Series(actual)
    categories = sorted(set(expected) | set(actual))
    e = expected.value_counts(normalize=True).reindex(categories, fill_value=0)
    a = actual.value_counts(normalize=True).reindex(categories, fill_value=0)
    return psi_from_shares(e.to_numpy(), a.to_numpy(), eps)


# --------------------------------------------------------------------------------------------------
# Task 1: implement PSI
# --------------------------------------------------------------------------------------------------


def _variant(expected, actual, bins=10, eps=1e-4, *, edges_from="expected", binning="quantile", shares=True,
             log=np.log, use_eps=True, open_ends=True, sign=1.0) -> float:
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


def _is_close(value: float, target: float) -> bool:
    if math.isinf(target) or math.isnan(target):
        return math.isinf(value) if math.isinf(target) else math.isnan(value)
    return math.isclose(value, target, rel_tol=0.02, abs_tol=1e-3)


def _call_number(fn: Callable, args: tuple, what: str) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            value = fn(*args, bins=10, eps=1e-4)
        except TypeError as exc:
            raise CheckFailed(f"Calling psi(expected, actual, bins=10, eps=1e-4) failed on {what}: {exc}. Keep the "
                              "signature def psi(expected, actual, bins=10, eps=1e-4).") from None
    if isinstance(value, (np.ndarray, list, tuple, pd.Series)) and np.size(value) > 1:
        raise CheckFailed(f"On {what}, psi returned {np.size(value)} values: return one number, the SUM of the "
                          "per-bin terms.")
    return require_number(value, f"psi(...) on {what}")


def check_psi(psi_fn: Any) -> None:
    """The learner's psi matches the chapter's on three cases, and raises ValueError on bad input."""
    require_done(psi_fn, "psi")
    require(callable(psi_fn), f"`psi` should be a function, but it is a {type(psi_fn).__name__}.")
    same = np.random.default_rng(3).normal(0, 1, 1000)
    value = _call_number(psi_fn, (same, same.copy()), "two identical samples")
    require(abs(value) < 1e-9, f"psi of two identical samples should be 0, but yours gives {value:g}. Check that "
                               "both samples are binned with the same edges and turned into shares the same way.")
    for what, (expected, actual) in _psi_cases().items():
        value = _call_number(psi_fn, (expected, actual), what)
        right = psi(expected, actual)
        if _is_close(value, right):
            continue
        for options, message in _PSI_MISTAKES:
            if _is_close(value, _variant(expected, actual, **options)):
                raise CheckFailed(f"On {what}, your psi gives {value:.4f} instead of {right:.4f}: {message}")
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
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                result = psi_fn(*bad, bins=10, eps=1e-4)
        except ValueError:
            continue
        except Exception as exc:  # noqa: BLE001 - any other error is the wrong kind
            raise CheckFailed(f"Given {what}, psi raised {type(exc).__name__}; raise ValueError with a message that "
                              "says what is wrong, so a monitoring job fails loudly and clearly.") from None
        raise CheckFailed(f"Given {what}, psi returned {result!r} instead of raising ValueError. A drift score "
                          "computed from no data (or from NaN) must not look like a number.")
    passed("psi matches the reference on all cases (identical samples, a shift, empty bins, a small shift) and "
           "rejects empty or NaN input.")


# --------------------------------------------------------------------------------------------------
# Task 2: a windowed PSI alert and its false-alarm rate
# --------------------------------------------------------------------------------------------------

ALERT_TARGETS = {"max_false_alarm_rate": 0.01, "max_delay_days": 14}
ORDERS_PER_DAY = 60
DRIFT_START_DAY = 21


@functools.lru_cache(maxsize=1)
def _streams():
    reference = orders(5000, np.random.default_rng(90))[0]["discount_pct"].to_numpy()

    def days(n_days, seed, drift_from=None):
        out = []
        for day in range(n_days):
            kwargs = {"discount_mean": 13.0} if drift_from is not None and day >= drift_from else {}
            out.append(orders(ORDERS_PER_DAY, np.random.default_rng([seed, day]), **kwargs)[0]["discount_pct"]
                       .to_numpy())
        return out

    return reference, days(364, 91), days(56, 92, drift_from=DRIFT_START_DAY)


def exercise_streams() -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray], int]:
    """(reference, quiet_days, drifted_days, drift_start_day) for exercise 09, task 2.

    A small shop: about 60 orders a day. `reference` holds the discount_pct of 5,000 validation orders;
    `quiet_days` is 364 drift-free days (one array of discounts per day); `drifted_days` is 56 days in which
    a campaign raises discounts from day `drift_start_day` (counting from 0) on.
    """
    reference, quiet, drifted = _streams()
    return reference.copy(), [d.copy() for d in quiet], [d.copy() for d in drifted], DRIFT_START_DAY


def window_psi(days: list, reference, window_days: int) -> np.ndarray:
    """PSI of each complete, non-overlapping window of `window_days` days (in time order) against `reference`."""
    window_days = int(window_days)
    starts = range(0, len(days) - window_days + 1, window_days)
    return np.array([psi(reference, np.concatenate(days[s:s + window_days])) for s in starts])


def alert_fires(psis, threshold: float, consecutive: int) -> np.ndarray:
    """True for each window where PSI > threshold in this window and the consecutive - 1 windows before it."""
    above = np.asarray(psis) > threshold
    fires = above.copy()
    for k in range(1, int(consecutive)):
        fires &= np.r_[np.zeros(k, dtype=bool), above[:-k]] if k < len(above) else False
    return fires


def evaluate_alert(window_days: int, threshold: float, consecutive: int) -> dict:
    """False-alarm rate on the quiet stream and detection delay (days; None if never) on the drifted one."""
    reference, quiet, drifted = _streams()
    quiet_fires = alert_fires(window_psi(quiet, reference, window_days), threshold, consecutive)
    drift_fires = alert_fires(window_psi(drifted, reference, window_days), threshold, consecutive)
    ends = (np.arange(len(drift_fires)) + 1) * int(window_days)       # the day each window's alert is evaluated
    detected = [int(end) - DRIFT_START_DAY for end, fire in zip(ends, drift_fires) if fire and end > DRIFT_START_DAY]
    return {"windows": len(quiet_fires), "false_alarms": int(quiet_fires.sum()),
            "false_alarm_rate": float(quiet_fires.mean()), "delay_days": detected[0] if detected else None,
            "rate_without_consecutive": float(alert_fires(window_psi(quiet, reference, window_days), threshold, 1)
                                              .mean())}


def check_alert_settings(window_days, threshold, consecutive, false_alarm_rate, detection_delay_days) -> None:
    """The rule meets the targets, and the learner measured its false-alarm rate and delay correctly."""
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

SERVICE_METRICS = {  # name: (type, help) exactly as the chapter's service declares them
    "model_request_duration_seconds": "histogram",
    "model_requests": "counter",
    "model_predictions": "counter",
    "model_score": "histogram",
    "model_input_order_value_eur": "histogram",
    "model_input_discount_ratio": "histogram",
    "model_input_channel": "counter",
    "model_info": "gauge",
}


def service_exposition() -> str:
    """A /metrics page of the chapter's service after a few requests, made with prometheus_client itself."""
    from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

    registry = CollectorRegistry()
    latency = Histogram("model_request_duration_seconds", "Time to answer POST /predict, in seconds",
                        buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0), registry=registry)
    requests = Counter("model_requests", "POST /predict requests by HTTP status code", ["code"], registry=registry)
    predictions = Counter("model_predictions", "Predictions by predicted class", ["predicted_class"],
                          registry=registry)
    score = Histogram("model_score", "Predicted probability of a return",
                      buckets=[round(0.1 * i, 1) for i in range(1, 10)], registry=registry)
    value = Histogram("model_input_order_value_eur", "Input feature order_value; buckets at the reference deciles",
                      buckets=[25, 35, 45, 55, 65, 75, 90, 110, 140], registry=registry)
    discount = Histogram("model_input_discount_ratio",
                         "Input feature discount_pct / 100; buckets at the reference deciles",
                         buckets=[0.026, 0.043, 0.058, 0.073, 0.089, 0.108, 0.129, 0.159, 0.204], registry=registry)
    channel = Counter("model_input_channel", "Orders by input feature channel", ["channel"], registry=registry)
    info = Gauge("model_info", "The model version this process serves (always 1)", ["model_version"],
                 registry=registry)
    info.labels(model_version="returns-lr:1.0.0").set(1)
    for code in ("200", "422", "500"):          # every known label value exists from the start, at 0
        requests.labels(code=code)
    for label in ("kept", "returned"):
        predictions.labels(predicted_class=label)
    for name in ("web", "ios", "android"):
        channel.labels(channel=name)
    X, _ = orders(20, np.random.default_rng(5))
    for i, row in X.iterrows():
        latency.observe(0.004 + 0.001 * (i % 3))
        requests.labels(code="200").inc()
        p = 0.15 + 0.04 * (i % 10)
        predictions.labels(predicted_class="returned" if p >= 0.5 else "kept").inc()
        score.observe(p)
        value.observe(row["order_value"])
        discount.observe(row["discount_pct"] / 100)
        channel.labels(channel=row["channel"]).inc()
    requests.labels(code="422").inc()
    text = generate_latest(registry).decode()
    return "\n".join(line for line in text.splitlines() if "_created" not in line) + "\n"


def exposed_series(text: str | None = None) -> set[str]:
    """Every sample name on a /metrics page (model_requests_total, ..._bucket, ..._sum, ...)."""
    from prometheus_client.parser import text_string_to_metric_families

    text = service_exposition() if text is None else text
    return {sample.name for family in text_string_to_metric_families(text) for sample in family.samples}


DURATION = re.compile(r"^((\d+)y)?((\d+)w)?((\d+)d)?((\d+)h)?((\d+)m)?((\d+)s)?((\d+)ms)?$")
_UNITS = {"y": 365 * 86400, "w": 7 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1, "ms": 0.001}
GROUP_KEYS = {"name", "interval", "limit", "query_offset", "labels", "rules"}
ALERT_KEYS = {"alert", "expr", "for", "keep_firing_for", "labels", "annotations"}
RECORD_KEYS = {"record", "expr", "labels"}
PROMQL_WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless",
                "offset", "inf", "nan", "atan2"}
SEVERITIES = {"page", "ticket"}


def duration_seconds(text) -> float | None:
    """Seconds in a Prometheus duration such as "10m" or "1h30m"; None if it is not one."""
    if not isinstance(text, str) or not text or not DURATION.match(text):
        return None
    return sum(int(n) * _UNITS[u] for n, u in re.findall(r"(\d+)(ms|y|w|d|h|m|s)", text))


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression reads: identifiers that are not functions, keywords or labels."""
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)                                # string literals
    expr = re.sub(r"\{[^}]*\}", "", expr)                                          # label matchers {code="200"}
    expr = re.sub(r"\[[^\]]*\]", "", expr)                                         # ranges [5m]
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", expr)  # label lists
    names = set()
    for match in re.finditer(r"(?<![\w.])[a-zA-Z_:][a-zA-Z0-9_:]*", expr):
        is_function = expr[match.end():].lstrip().startswith("(")
        if not is_function and match.group() not in PROMQL_WORDS:
            names.add(match.group())
    return names


def validate_rules(doc: Any, exposed: set[str]) -> list[str]:
    """Problems in a Prometheus rule file (parsed YAML), checked against the metric names the service exposes."""
    if not isinstance(doc, dict) or set(doc) != {"groups"} or not isinstance(doc["groups"], list) or not doc["groups"]:
        return ["the file must be a mapping with a single key, `groups`, holding a non-empty list of groups"]
    problems, group_names = [], set()
    for g, group in enumerate(doc["groups"]):
        if not isinstance(group, dict):
            problems.append(f"groups[{g}]: a group must be a mapping with `name` and `rules`")
            continue
        where = f"group {group.get('name', g)!r}"
        if not isinstance(group.get("name"), str) or not group["name"]:
            problems.append(f"groups[{g}]: `name` is missing")
        elif group["name"] in group_names:
            problems.append(f"{where}: group names must be unique in a file")
        group_names.add(group.get("name"))
        problems += [f"{where}: unknown key `{key}`" for key in sorted(set(group) - GROUP_KEYS)]
        if "interval" in group and duration_seconds(group["interval"]) is None:
            problems.append(f"{where}: interval {group['interval']!r} is not a Prometheus duration (e.g. 1m, 5m)")
        rules = group.get("rules")
        if not isinstance(rules, list) or not rules:
            problems.append(f"{where}: `rules` must be a non-empty list")
            continue
        for r, rule in enumerate(rules):
            if not isinstance(rule, dict):
                problems.append(f"{where}, rules[{r}]: a rule must be a mapping")
                continue
            name = rule.get("alert") or rule.get("record") or f"rules[{r}]"
            at = f"{where}, rule {name!r}"
            if ("alert" in rule) == ("record" in rule):
                problems.append(f"{at}: a rule needs exactly one of `alert` or `record`")
                continue
            allowed = ALERT_KEYS if "alert" in rule else RECORD_KEYS
            problems += [f"{at}: unknown key `{key}`" for key in sorted(set(rule) - allowed)]
            expr = rule.get("expr")
            if not isinstance(expr, str) or not expr.strip():
                problems.append(f"{at}: `expr` (a PromQL expression, as a string) is missing")
                continue
            for key in ("for", "keep_firing_for"):
                if key in rule and duration_seconds(rule[key]) is None:
                    problems.append(f"{at}: {key}: {rule[key]!r} is not a Prometheus duration (e.g. 10m, 1h, 1d)")
            for unknown in sorted(metric_names(expr) - exposed - {"up"}):
                close = difflib.get_close_matches(unknown, sorted(exposed), n=1)
                hint = f" (did you mean {close[0]}?)" if close else ""
                problems.append(f"{at}: `{unknown}` is not exposed by the service{hint}")
            for q in re.findall(r"histogram_quantile\s*\(\s*([0-9.eE+-]+)", expr):
                if not 0 <= float(q) <= 1:
                    problems.append(f"{at}: histogram_quantile({q}, ...): the quantile is a fraction, e.g. 0.99")
            if "histogram_quantile" in expr and "_bucket" not in expr:
                problems.append(f"{at}: histogram_quantile needs the cumulative `_bucket` series of a histogram")
            if "alert" in rule:
                labels, annotations = rule.get("labels") or {}, rule.get("annotations") or {}
                if labels.get("severity") not in SEVERITIES:
                    problems.append(f"{at}: labels.severity must be one of {sorted(SEVERITIES)} (it routes the alert)")
                if not annotations.get("summary"):
                    problems.append(f"{at}: annotations.summary is missing (what the person paged reads first)")
    return problems


def _rules_from(rules_yaml) -> list[dict]:
    require_done(rules_yaml, "rules_yaml")
    require(isinstance(rules_yaml, str), f"`rules_yaml` should be the YAML text (a string), but it is a "
                                         f"{type(rules_yaml).__name__}.")
    try:
        doc = yaml.safe_load(rules_yaml)
    except yaml.YAMLError as exc:
        raise CheckFailed(f"`rules_yaml` is not valid YAML: {str(exc).splitlines()[0]}. Check the indentation, and "
                          "quote expressions that start with { or contain ': '.") from None
    problems = validate_rules(doc, exposed_series())
    if problems:
        raise CheckFailed("The rule file has problems:\n- " + "\n- ".join(problems))
    return [rule for group in doc["groups"] for rule in group["rules"] if "alert" in rule]


def _comparison(expr: str) -> float | None:
    match = re.search(r">=?\s*([0-9.]+(?:[eE][+-]?\d+)?)\s*$", expr.strip())
    return float(match.group(1)) if match else None


def check_alert_rules(rules_yaml, reference_share: float) -> None:
    """A valid rule file with a p99 latency page and a positive-share ticket, on metrics the service exposes."""
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
    require(re.search(r"rate\s*\(\s*model_request_duration_seconds_bucket", expr) is not None,
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

    share = [a for a in alerts if "model_predictions_total" in a["expr"]]
    require(share, "No alert reads model_predictions_total: add the alert on the share of \"returned\" predictions.")
    rule = share[0]
    expr = rule["expr"]
    require(re.search(r'predicted_class\s*=\s*"returned"', expr) is not None,
            f"Alert {rule['alert']!r}: select the positive class in the numerator: "
            'model_predictions_total{predicted_class="returned"}.')
    require("/" in expr, f"Alert {rule['alert']!r}: a share is a ratio: returned predictions / all predictions.")
    require(re.search(r"rate\s*\(\s*model_predictions_total", expr) is not None,
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
    passed("the rule file is valid, reads only metrics the service exposes, pages on p99 latency and opens a ticket "
           "when the share of predicted returns moves.")


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
    require_done(justification, "justification")
    require(isinstance(justification, str), "`justification` should be text.")
    words = prose_words(justification)
    require(len(words) >= min_words,
            f"Your justification has {len(words)} words; write at least {min_words}: why these signals, who acts on "
            "each, and what the label delay means for when you can notice what.")
    text = justification.lower()
    require("label" in text and ("delay" in text or "late" in text or "30" in text),
            "Your justification should say what the 30-day label delay means for the plan.")
    passed(f"{len(plan)} signals over all four layers, with owners; label-free signals warn within a day, quality "
           f"signals arrive after the {label_delay_days}-day label delay.")
