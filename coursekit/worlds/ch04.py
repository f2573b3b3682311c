"""The world of exercise 04, *Data and features*: a seeded log of deployments, and what is built from it.

- :func:`deployments`: one row per deploy of one of 20 microservices, in time order, with the label
  ``rolled_back``; some values are missing, as in real pipelines.
- :func:`service_snapshots` (task 2): a daily batch job's per-service counts, with an outage of several days.
- :func:`validation_batches` (task 4): five normal batches of raw deploy events and five broken ones, each with
  one upstream fault (:data:`FAULTS`).

The notebook and its checks (and the tests) call these with the same seeds, so they all see the same data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SERVICES = ["auth", "billing", "cart", "catalog", "checkout", "email", "gateway", "inventory", "ledger",
            "notifications", "orders", "payments", "pricing", "profile", "recommendations", "reviews", "search",
            "shipping", "tax", "uploads"]
CHANGE_TYPES = ["feature", "bugfix", "config", "dependency"]
RAW_COLUMNS = ["deploy_id", "service", "started_at", "previous_deploy_at", "change_type", "lines_added",
               "lines_deleted", "test_coverage"]

# The fault of each broken batch of task 4, by name.
FAULTS = {"batch_a": "nulls", "batch_b": "percent", "batch_c": "renamed", "batch_d": "casing", "batch_e": "strings"}


def deployments(n: int = 3000, seed: int = 7, start: str = "2025-01-01", days: float = 300) -> pd.DataFrame:
    """*n* deploys of 20 services over *days* days, in time order, with the label ``rolled_back`` (0/1).

    A deploy is more likely to be rolled back when the change is big, test coverage is low, the change is a
    dependency or config change, the service is fragile, or it comes soon after the service's previous deploy
    (a rushed follow-up). Some values are missing, as in real pipelines: lines (the git statistics job timed
    out), coverage (no report) and change type (not filled in).
    """
    rng = np.random.default_rng(seed)
    fragility = rng.normal(0, 0.5, len(SERVICES))
    which = rng.integers(0, len(SERVICES), n)
    offsets = pd.to_timedelta(np.sort(rng.uniform(0, days, n)), unit="D")
    started = (pd.Timestamp(start) + offsets).round("min").as_unit("us")  # one time unit everywhere: merge_asof needs it
    df = pd.DataFrame({"deploy_id": [f"d{i:05d}" for i in range(n)], "service": np.array(SERVICES)[which],
                       "started_at": started})
    df["previous_deploy_at"] = df.groupby("service")["started_at"].shift()
    change = rng.choice(CHANGE_TYPES, n, p=[0.4, 0.3, 0.2, 0.1])
    added = np.round(rng.lognormal(np.log(60), 1.1, n))
    deleted = np.round(rng.lognormal(np.log(20), 1.1, n))
    coverage = np.round(rng.beta(8, 3, n), 3)
    hours = ((df["started_at"] - df["previous_deploy_at"]).dt.total_seconds() / 3600).fillna(48).to_numpy()
    logit = (-3.0 + 0.5 * np.log1p(added + deleted) - 4.0 * (coverage - 0.72)
             + pd.Series(change).map({"feature": 0.3, "bugfix": -0.2, "config": 0.4, "dependency": 0.8}).to_numpy()
             - 0.9 * (np.log1p(hours) - np.log1p(24)) + fragility[which])
    df["change_type"] = change
    df["lines_added"] = added
    df["lines_deleted"] = deleted
    df["test_coverage"] = coverage
    df["rolled_back"] = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    df.loc[rng.random(n) < 0.05, "lines_added"] = np.nan
    df.loc[rng.random(n) < 0.06, "test_coverage"] = np.nan
    df.loc[rng.random(n) < 0.04, "change_type"] = np.nan
    return df


def service_snapshots(deploys: pd.DataFrame, *, outage: tuple[str, str] = ("2025-02-20", "2025-02-24"),
                      seed: int = 3) -> pd.DataFrame:
    """A daily batch job's output: at 06:00 every day, per service, deploys and rollbacks in the last 7 days.

    A rollback is known one hour after the deploy started. The job did not run during *outage* (inclusive, a
    multi-day incident) and skipped about 3 % of other rows at random, so some snapshots are missing.
    """
    rng = np.random.default_rng(seed)
    first = deploys["started_at"].min().normalize() + pd.Timedelta(hours=6)
    last = deploys["started_at"].max().normalize() + pd.Timedelta(hours=6)
    times = pd.date_range(first, last, freq="D", unit="us")
    known = deploys.assign(known_at=deploys["started_at"] + pd.Timedelta(hours=1))
    rows = []
    for service, group in known.groupby("service", sort=True):
        at = group["known_at"].to_numpy()
        failed = group["rolled_back"].to_numpy()
        for t in times:
            window = (at <= t.to_datetime64()) & (at > (t - pd.Timedelta(days=7)).to_datetime64())
            rows.append((service, t, int(window.sum()), int(failed[window].sum())))
    snaps = pd.DataFrame(rows, columns=["service", "snapshot_at", "deploys_7d", "failures_7d"])
    down = snaps["snapshot_at"].between(pd.Timestamp(outage[0]), pd.Timestamp(outage[1]) + pd.Timedelta(hours=23))
    skipped = rng.random(len(snaps)) < 0.03
    return snaps[~down & ~skipped].sort_values(["snapshot_at", "service"]).reset_index(drop=True)


def _broken(batch: pd.DataFrame, fault: str, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    out = batch.copy()
    if fault == "percent":
        out["test_coverage"] = (out["test_coverage"] * 100).round(1)  # a new CI plugin reports 0-100
    elif fault == "nulls":
        out.loc[rng.random(len(out)) < 0.4, "lines_added"] = np.nan  # the git statistics job timed out
    elif fault == "casing":
        out["change_type"] = out["change_type"].str.capitalize()  # a form change: "Feature" instead of "feature"
    elif fault == "renamed":
        out = out.rename(columns={"previous_deploy_at": "prev_deploy_at"})  # an upstream schema change
    elif fault == "strings":
        out["lines_deleted"] = out["lines_deleted"].map(lambda v: "" if pd.isna(v) else str(int(v)))  # CSV export
    return out


def validation_batches(timeline: pd.DataFrame, *, start: int = 1500, size: int = 150
                       ) -> tuple[list[pd.DataFrame], dict[str, pd.DataFrame]]:
    """Five normal batches of raw deploy events, and five broken ones keyed ``batch_a``..``batch_e``.

    Batches hold the raw columns only (the label arrives later). The broken ones come from later rows of the
    same timeline, each with one upstream fault (:data:`FAULTS`): coverage in percent, a null spike, changed
    category spelling, a renamed column, numbers delivered as text.
    """
    raw = timeline[RAW_COLUMNS]
    good = [raw.iloc[start + i * size: start + (i + 1) * size].reset_index(drop=True) for i in range(5)]
    bad = {}
    for i, (name, fault) in enumerate(FAULTS.items()):
        lo = start + (5 + i) * size
        bad[name] = _broken(raw.iloc[lo: lo + size].reset_index(drop=True), fault, seed=i)
    return good, bad
