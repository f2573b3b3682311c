"""Answer key of exercise 08 (private: see :mod:`coursekit.checks._answers`)."""

from __future__ import annotations

import math

import numpy as np


def round_up(value: float, step: float) -> float:
    """*value* rounded up to a multiple of *step* (a float error below 1e-9 steps does not round up)."""
    return math.ceil(round(value / step, 9)) * step


def memory_request_mib(measurements, *, headroom: float, step_mib: int) -> float:
    """Task 3: the largest ``rss_mib`` of any pod and phase x *headroom*, rounded up to a multiple of *step_mib*."""
    return round_up(measurements["rss_mib"].to_numpy(float).max() * headroom, step_mib)


def cpu_request_cores(measurements, *, quantile: float, step_millicores: int) -> float:
    """Task 3: the *quantile*-th percentile of ``cpu_cores`` in the 'peak' phase, rounded up to *step_millicores*."""
    peak = measurements.loc[measurements["phase"] == "peak", "cpu_cores"].to_numpy(float)
    return round_up(np.percentile(peak, quantile), step_millicores / 1000)
