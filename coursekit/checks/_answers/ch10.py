"""Answer key of exercise 10 (private: see :mod:`coursekit.checks._answers`)."""

from __future__ import annotations


def directional_violations(model, X, feature: str, delta: float) -> int:
    """Task 2: rows whose risk score falls (by more than 1e-6) when *feature* rises by *delta*."""
    before = model.predict_proba(X)[:, 1]
    after = model.predict_proba(X.assign(**{feature: X[feature] + delta}))[:, 1]
    return int((before - after > 1e-6).sum())
