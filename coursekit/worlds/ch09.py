"""The world of exercise 09, *Monitoring and drift*: a small shop's order streams and its service's metrics.

Everything comes from chapter 09's own code, generated into :mod:`coursekit.exports.ch09` from the chapter's
cells tagged ``export``: the order simulator (:func:`orders`), PSI, and the rule-file validator. On top of it:

- :func:`exercise_streams` (task 2): a reference sample and two streams of daily ``discount_pct`` arrays, one
  drift-free, one in which a campaign raises discounts from day :data:`DRIFT_START_DAY` on;
- :func:`window_psi` (task 2): the PSI of each complete window of days against the reference;
- :func:`service_exposition` and :func:`exposed_series` (task 3): the chapter's service's ``/metrics`` page after a
  few requests, and the sample names on it, which a rule file may read;
- :func:`latency_traffic`, :func:`prediction_traffic` and :func:`promtool_test` (task 3): synthetic series from two
  pods, and the ``promtool test rules`` file that runs the learner's alerts on them.
"""

from __future__ import annotations

import functools

import numpy as np

from coursekit.exports.ch09 import orders, psi

ORDERS_PER_DAY = 60
DRIFT_START_DAY = 21


@functools.lru_cache(maxsize=1)
def streams() -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
    """(reference, quiet_days, drifted_days), computed once per process; :func:`exercise_streams` hands out copies."""
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
    reference, quiet, drifted = streams()
    return reference.copy(), [d.copy() for d in quiet], [d.copy() for d in drifted], DRIFT_START_DAY


def window_psi(days: list, reference, window_days: int) -> np.ndarray:
    """PSI of each complete, non-overlapping window of `window_days` days (in time order) against `reference`."""
    window_days = int(window_days)
    starts = range(0, len(days) - window_days + 1, window_days)
    return np.array([psi(reference, np.concatenate(days[s:s + window_days])) for s in starts])


SERVICE_METRICS = {  # name: type, exactly as the chapter's service declares them
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


# --------------------------------------------------------------------------------------------------
# Task 3: synthetic traffic on which `promtool test rules` exercises the learner's two alerts
# --------------------------------------------------------------------------------------------------

JOB = "returns-model"
PODS = ("pod-a:8000", "pod-b:8000")
LATENCY_BUCKETS = ("0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1.0", "+Inf")


def _series(name: str, pod: str, step: float, intervals: int, **labels) -> dict:
    """One input series for a promtool test: a counter that grows by `step` per interval, from 0."""
    inner = ", ".join(f'{k}="{v}"' for k, v in {"job": JOB, "instance": pod, **labels}.items())
    return {"series": f"{name}{{{inner}}}", "values": f"0+{step:g}x{intervals}"}


def latency_traffic(slow_share: float, intervals: int = 120) -> list[dict]:
    """Two pods, 50 POST /predict per 15 s each; a share `slow_share` of them takes 0.25 to 0.5 s.

    With 2 % slow the fleet-wide p99 is 375 ms; with none it is 235 ms (the rest: up to 0.25 s, 10 % above 0.1 s).
    """
    per_interval = 50
    slow = round(per_interval * slow_share)
    cumulative = {"0.005": 0, "0.01": 5, "0.025": 20, "0.05": 35, "0.1": 45, "0.25": per_interval - slow,
                  "0.5": per_interval, "1.0": per_interval, "+Inf": per_interval}
    series = []
    for pod in PODS:
        series += [_series("model_request_duration_seconds_bucket", pod, cumulative[le], intervals, le=le)
                   for le in LATENCY_BUCKETS]
        series += [_series("model_request_duration_seconds_count", pod, per_interval, intervals),
                   _series("model_request_duration_seconds_sum", pod, 3.0 + 0.3 * slow, intervals),
                   _series("model_requests_total", pod, per_interval, intervals, code="200")]
    return series


def prediction_traffic(returned_share: float, intervals: int = 120) -> list[dict]:
    """Two pods, 100 predictions per 15 minutes each, a share `returned_share` of them "returned"."""
    returned = round(100 * returned_share)
    return [_series("model_predictions_total", pod, count, intervals, predicted_class=label)
            for pod in PODS for label, count in (("returned", returned), ("kept", 100 - returned))]


def promtool_test(rule_file: str, interval: str, evaluation_interval: str, input_series: list[dict],
                  alert_tests: list[dict]) -> dict:
    """A `promtool test rules` file with one test: these input series, these alert expectations."""
    return {"rule_files": [rule_file], "evaluation_interval": evaluation_interval,
            "tests": [{"interval": interval, "input_series": input_series, "alert_rule_test": alert_tests}]}
