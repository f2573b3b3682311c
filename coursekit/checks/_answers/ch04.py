"""Answer keys of exercise 04 (private: see :mod:`coursekit.checks._answers`)."""

from __future__ import annotations

import pandas as pd

FRESH = pd.Timedelta("2D")  # task 2: a snapshot older than this is stale


def point_in_time_join(deploys: pd.DataFrame, snapshots: pd.DataFrame, *, by: bool = True,
                       direction: str = "backward", tolerance: pd.Timedelta | None = FRESH) -> pd.DataFrame:
    """Task 2: each deploy with its own service's latest snapshot at or before ``started_at``, at most 2 days old.

    The keyword arguments rebuild the usual mistakes (``by=False``, another *direction*, ``tolerance=None``).
    """
    left = deploys[["deploy_id", "service", "started_at"]].sort_values("started_at")
    right = snapshots.sort_values("snapshot_at")
    if not by:
        right = right.drop(columns="service")
    return pd.merge_asof(left, right, left_on="started_at", right_on="snapshot_at", direction=direction,
                         by="service" if by else None, tolerance=tolerance)


def accuracies(model, requests: pd.DataFrame, training_features, serving_features) -> tuple[float, float]:
    """Task 3: the model's accuracy on *requests* from the training features and from the serving features."""
    from sklearn.metrics import accuracy_score

    y = requests["rolled_back"]
    return (float(accuracy_score(y, model.predict(training_features(requests)))),
            float(accuracy_score(y, model.predict(serving_features(requests)))))
