"""Answer keys of exercise 14 (private: see :mod:`coursekit.checks._answers`).

Both are built from the chapters' own code: PSI is chapter 09's, the paired bootstrap chapter 10's (generated
into :mod:`coursekit.exports`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from coursekit.exports.ch09 import psi_from_shares
from coursekit.exports.ch10 import paired_bootstrap


def psi_from_scrapes(reference_shares, start: Mapping[str, float], end: Mapping[str, float],
                     eps: float = 1e-4) -> float:
    """Task 1: PSI of the observations between two scrapes of a histogram's ``_bucket`` series ({le: cumulative})."""
    if set(start) != set(end):
        raise ValueError("the two scrapes have different buckets: compare scrapes of the same histogram")
    edges = sorted(end, key=float)                       # "+Inf" -> inf: numeric order, +Inf last
    if len(reference_shares) != len(edges):
        raise ValueError(f"{len(reference_shares)} reference shares for {len(edges)} buckets")
    increase = np.array([end[le] - start[le] for le in edges], dtype=float)
    if (increase < 0).any():
        raise ValueError("a counter went down between the scrapes: the process restarted (a counter reset)")
    per_bucket = np.diff(increase, prepend=0.0)          # cumulative (le) -> per bucket
    if per_bucket.sum() <= 0:
        raise ValueError("nothing was observed between the two scrapes")
    return psi_from_shares(reference_shares, per_bucket / per_bucket.sum(), eps)


def recall(y, pred) -> float:
    """The share of actual positives predicted positive."""
    y, pred = np.asarray(y), np.asarray(pred)
    return float(((pred == 1) & (y == 1)).sum() / max((y == 1).sum(), 1))


def gate_decision(y_true, pred_champion, pred_challenger, *, margin: float, max_recall_drop: float, min_rows: int,
                  n_resamples: int = 1000, confidence: float = 0.95, seed: int = 0) -> str:
    """Task 2: "undecided" below min_rows; "reject" if recall falls by more than max_recall_drop; otherwise
    "promote" if the paired interval's low end is above the margin, "reject" if its high end is below it."""
    if len(y_true) < min_rows:
        return "undecided"
    if recall(y_true, pred_challenger) - recall(y_true, pred_champion) < -max_recall_drop:
        return "reject"
    _, low, high = paired_bootstrap(y_true, pred_champion, pred_challenger, n_resamples, confidence, seed)
    if low > margin:
        return "promote"
    if high < margin:
        return "reject"
    return "undecided"
