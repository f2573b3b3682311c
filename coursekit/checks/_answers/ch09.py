"""Answer keys of exercise 09 (private: see :mod:`coursekit.checks._answers`)."""

from __future__ import annotations

import numpy as np

from coursekit.exports.ch09 import psi  # noqa: F401 - task 1's key is the chapter's own PSI
from coursekit.worlds.ch09 import DRIFT_START_DAY, streams, window_psi


def alert_fires(psis, threshold: float, consecutive: int) -> np.ndarray:
    """Task 2: True for each window where PSI > threshold in this window and the consecutive - 1 windows before it."""
    above = np.asarray(psis) > threshold
    fires = above.copy()
    for k in range(1, int(consecutive)):
        fires &= np.r_[np.zeros(k, dtype=bool), above[:-k]] if k < len(above) else False
    return fires


def evaluate_alert(window_days: int, threshold: float, consecutive: int) -> dict:
    """Task 2: false-alarm rate on the quiet stream and detection delay (days; None if never) on the drifted one."""
    reference, quiet, drifted = streams()
    quiet_fires = alert_fires(window_psi(quiet, reference, window_days), threshold, consecutive)
    drift_fires = alert_fires(window_psi(drifted, reference, window_days), threshold, consecutive)
    ends = (np.arange(len(drift_fires)) + 1) * int(window_days)       # the day each window's alert is evaluated
    detected = [int(end) - DRIFT_START_DAY for end, fire in zip(ends, drift_fires, strict=True)
                if fire and end > DRIFT_START_DAY]
    return {"windows": len(quiet_fires), "false_alarms": int(quiet_fires.sum()),
            "false_alarm_rate": float(quiet_fires.mean()), "delay_days": detected[0] if detected else None,
            "rate_without_consecutive": float(alert_fires(window_psi(quiet, reference, window_days), threshold, 1)
                                              .mean())}
