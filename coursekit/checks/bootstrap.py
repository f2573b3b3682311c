"""The reference paired bootstrap that the gate checks (chapters 10 and 14) compare learners' answers with."""

from __future__ import annotations

import numpy as np


def percentile_interval(per_row, n_resamples: int, confidence: float, seed: int) -> tuple[float, float]:
    """Percentile interval of the mean of *per_row*, resampling its rows with replacement (in chunks of 2,000
    resamples, to bound memory). For a paired comparison, *per_row* holds one difference per example."""
    per_row = np.asarray(per_row, dtype=float)
    rng = np.random.default_rng(seed)
    means = np.empty(n_resamples)
    for start in range(0, n_resamples, 2000):
        stop = min(start + 2000, n_resamples)
        means[start:stop] = per_row[rng.integers(0, len(per_row), size=(stop - start, len(per_row)))].mean(axis=1)
    tail = 100 * (1 - confidence) / 2
    low, high = np.percentile(means, [tail, 100 - tail])
    return float(low), float(high)
