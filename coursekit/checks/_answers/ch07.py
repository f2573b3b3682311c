"""Answer keys of exercise 07 (private: see :mod:`coursekit.checks._answers`)."""

from __future__ import annotations

import numpy as np

# Every interpolation method NumPy offers: any of them is an acceptable definition of a percentile.
PERCENTILE_METHODS = ("inverted_cdf", "averaged_inverted_cdf", "closest_observation", "interpolated_inverted_cdf",
                      "hazen", "weibull", "linear", "median_unbiased", "normal_unbiased", "lower", "higher",
                      "midpoint", "nearest")


def percentile_range_ms(latencies_s, q: float) -> tuple[float, float]:
    """Task 1: the lowest and highest value, in ms, that a standard method gives for the *q*-th percentile."""
    values = [float(np.percentile(latencies_s, q, method=m)) * 1000 for m in PERCENTILE_METHODS]
    return min(values), max(values)


def liveness(state: dict) -> int:
    """Task 3: the process answers, so 200, whatever it is doing (loading, warming up, draining)."""
    return 200


def readiness(state: dict) -> int:
    """Task 3: 200 only when the model is loaded and warmed up and the pod is not shutting down; otherwise 503."""
    ready = state["model_loaded"] and state["warmed_up"] and not state["shutting_down"]
    return 200 if ready else 503
