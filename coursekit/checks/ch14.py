"""Exercise harness and self-checks for exercise 14, *Capstone: the whole loop, end to end*.

- :func:`psi_from_scrapes` is the reference: PSI of the observations between two scrapes of a Prometheus
  histogram (cumulative ``le`` buckets) against the reference shares. :func:`check_psi_from_scrapes` runs the
  learner's function on scrapes whose right answer is known and diagnoses the usual mistakes: no subtraction of
  the start scrape, cumulative buckets used as counts, bucket edges sorted as text or left in the dict's order,
  counts instead of shares, log10/log2, no epsilon, a dropped ``+Inf`` bucket, and bad input (a counter reset,
  nothing observed, buckets that differ) that must raise ``ValueError``.
- :func:`gate_decision` is the reference gate (minimum sample, recall guardrail, paired bootstrap interval
  against a margin). :func:`check_gate_decision` runs the learner's gate on constructed evaluation sets whose
  right decision is known and diagnoses ignoring the minimum sample or the guardrail, promoting on the point
  estimate, comparing with zero instead of the margin, a reversed difference, unpaired resampling and an
  ignored ``confidence``.
- :class:`ToyRegistry` and :class:`ToyService` stand in for ``mlflow.MlflowClient`` (same method names) and
  for an inference service with a reload endpoint. :func:`check_promote` and :func:`check_rollback` run the
  learner's ``promote`` and ``rollback`` against them and diagnose the order of the steps (record the previous
  champion before the move, reload after it, verify last), stages, deleted versions, alias typos, rolling back
  to "version minus one", and not noticing a reload that did not take.
"""

from __future__ import annotations

import copy
import math
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from coursekit.checks import CheckFailed, NotDoneYet, passed, require, require_done, require_number
from coursekit.checks.bootstrap import percentile_interval

__all__ = [
    "psi_from_shares", "psi_from_scrapes", "check_psi_from_scrapes", "example_scrapes",
    "gate_decision", "paired_interval", "check_gate_decision", "example_evaluation",
    "ToyRegistry", "ToyService", "ToyRegistryError", "check_promote", "check_rollback",
]


# --------------------------------------------------------------------------------------------------
# Task 1: PSI from two scrapes of a Prometheus histogram
# --------------------------------------------------------------------------------------------------

def psi_from_shares(expected_share, actual_share, eps: float = 1e-4) -> float:
    """PSI = sum over bins of (actual - expected) * ln(actual / expected); a share of 0 counts as eps."""
    e = np.maximum(np.asarray(expected_share, dtype=float), eps)
    a = np.maximum(np.asarray(actual_share, dtype=float), eps)
    return float(np.sum((a - e) * np.log(a / e)))


def psi_from_scrapes(reference_shares, start: Mapping[str, float], end: Mapping[str, float], eps: float = 1e-4) -> float:
    """PSI of the observations between two scrapes of a histogram's ``_bucket`` series ({le: cumulative count})."""
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


_EDGES = ["0.25", "0.5", "1.0", "2.5", "5.0", "10.0", "+Inf"]
_REFERENCE = [0.10, 0.15, 0.20, 0.20, 0.15, 0.10, 0.10]


def _scrape(per_bucket_counts, order: list[int]) -> dict[str, float]:
    cumulative = np.cumsum(per_bucket_counts).astype(float)
    return {_EDGES[i]: float(cumulative[i]) for i in order}


def example_scrapes() -> tuple[list[float], dict[str, float], dict[str, float]]:
    """The exercise's data: reference shares, and two scrapes ({le: cumulative count}, not in bucket order)."""
    start = _scrape([120, 180, 260, 240, 170, 110, 120], [3, 0, 6, 1, 5, 2, 4])
    week = [20, 35, 60, 90, 110, 95, 90]                 # this week's observations, per bucket
    end = _scrape(np.array([120, 180, 260, 240, 170, 110, 120]) + week, [5, 1, 3, 6, 0, 4, 2])
    return list(_REFERENCE), start, end


def _cases() -> dict[str, tuple[list[float], dict, dict]]:
    base = np.array([300, 420, 610, 590, 450, 300, 330])
    return {
        "a shifted week": (_REFERENCE, _scrape(base, [1, 4, 6, 0, 3, 5, 2]),
                           _scrape(base + np.array([10, 20, 45, 90, 130, 110, 95]), [4, 0, 5, 2, 6, 1, 3])),
        "a week with an empty bucket": (_REFERENCE, _scrape(base, [5, 3, 1, 6, 0, 2, 4]),
                                        _scrape(base + np.array([0, 12, 40, 80, 95, 70, 60]), [0, 6, 3, 1, 4, 2, 5])),
        "a week like the reference": (_REFERENCE, _scrape(base, [6, 2, 0, 4, 1, 5, 3]),
                                      _scrape(base + np.array([48, 75, 102, 96, 78, 49, 52]), [2, 5, 1, 6, 3, 0, 4])),
    }


def _variant(reference, start, end, *, order: str = "numeric", subtract: bool = True, difference: bool = True,
             normalise: str = "sum", log=np.log, eps: float | None = 1e-4, drop_inf: bool = False) -> float:
    """PSI computed with one typical mistake, to recognise the learner's value."""
    if order == "numeric":
        edges = sorted(end, key=float)
    elif order == "text":
        edges = sorted(end)
    else:                                                # the dict's own order
        edges = list(end)
    values = np.array([end[le] - (start[le] if subtract else 0.0) for le in edges], dtype=float)
    counts = np.diff(values, prepend=0.0) if difference else values
    reference = np.asarray(reference, dtype=float)
    if drop_inf:
        keep = [i for i, le in enumerate(edges) if le != "+Inf"]
        counts, reference = counts[keep], np.array([reference[sorted(end, key=float).index(edges[i])] for i in keep])
    if normalise == "sum":
        shares = counts / counts.sum()
    elif normalise == "last":
        shares = counts / values[-1]
    else:
        shares = counts
    with np.errstate(divide="ignore", invalid="ignore"):
        e, a = (np.maximum(reference, eps), np.maximum(shares, eps)) if eps else (reference, shares)
        return float(np.sum((a - e) * log(a / e)))


_SCRAPE_MISTAKES: list[tuple[dict, str]] = [
    ({"subtract": False},
     "you used the end scrape alone. Its counters hold everything since the process started; the week is the "
     "difference `end[le] - start[le]` for every bucket (what PromQL's increase() returns)."),
    ({"difference": False},
     "you treated the cumulative buckets as counts. A bucket `le=\"2.5\"` counts every value <= 2.5, including "
     "those of the smaller buckets: difference neighbouring buckets (np.diff with prepend=0) to get per-bucket counts."),
    ({"difference": False, "normalise": "last"},
     "you divided the cumulative buckets by the total. Those are cumulative shares (they rise to 1 at +Inf); "
     "difference neighbouring buckets first, then divide by the total."),
    ({"order": "text"},
     "you sorted the bucket edges as text, so \"10.0\" comes before \"2.5\" and \"+Inf\" first. Sort them as numbers: "
     "sorted(end, key=float) (float(\"+Inf\") is infinity)."),
    ({"order": "dict"},
     "you used the buckets in the dict's order, which is not the bucket order here. Sort the edges as numbers "
     "first: sorted(end, key=float)."),
    ({"normalise": "none"},
     "you used counts instead of shares. Divide the per-bucket counts by their total so that they sum to 1, like "
     "the reference shares."),
    ({"log": np.log10},
     "you used log10. PSI uses the natural logarithm (np.log); log10 makes every value 2.3 times smaller."),
    ({"log": np.log2},
     "you used log2. PSI uses the natural logarithm (np.log)."),
    ({"eps": None},
     "without epsilon an empty bucket gives log(0): your PSI is infinite or NaN. Replace shares of 0 by eps "
     "(np.maximum(share, eps)) before the log."),
    ({"drop_inf": True},
     "you left out the +Inf bucket. It is a real bucket: the values above the last finite edge, often the ones "
     "that drifted. Keep all buckets, +Inf last."),
]


def _close(value: float, target: float) -> bool:
    if math.isinf(target) or math.isnan(target):
        return not math.isfinite(value)
    return math.isclose(value, target, rel_tol=1e-3, abs_tol=1e-6)


def _learner_psi(fn: Callable, reference, start, end, what: str) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            value = fn(list(reference), dict(start), dict(end), eps=1e-4)
        except NotImplementedError:
            raise NotDoneYet("Not done yet: `psi_from_scrapes` still raises NotImplementedError. Write its body, run "
                             "the cell, then run this check.") from None
        except TypeError as error:
            raise CheckFailed(f"Calling psi_from_scrapes(reference_shares, start, end, eps=1e-4) on {what} failed: "
                              f"{error}. Keep the signature def psi_from_scrapes(reference_shares, start, end, "
                              "eps=1e-4).") from None
        except Exception as error:  # noqa: BLE001 - report the learner's own error in their terms
            raise CheckFailed(f"On {what}, psi_from_scrapes raised {type(error).__name__}: {error}") from None
    if np.ndim(value) > 0:
        raise CheckFailed(f"On {what}, psi_from_scrapes returned {np.size(value)} values: return one number, the sum "
                          "of the per-bucket terms.")
    return require_number(value, f"psi_from_scrapes(...) on {what}")


def check_psi_from_scrapes(fn: Any) -> None:
    """The learner's ``psi_from_scrapes`` matches the reference on three weeks and rejects bad scrapes."""
    require_done(fn, "psi_from_scrapes")
    require(callable(fn), f"`psi_from_scrapes` should be a function, but it is a {type(fn).__name__}.")
    for what, (reference, start, end) in _cases().items():
        value = _learner_psi(fn, reference, start, end, what)
        right = psi_from_scrapes(reference, start, end)
        if _close(value, right):
            continue
        for options, message in _SCRAPE_MISTAKES:
            if _close(value, _variant(reference, start, end, **options)):
                raise CheckFailed(f"On {what}, your PSI is {value:.4f} instead of {right:.4f}: {message}")
        if value < 0:
            raise CheckFailed(f"On {what}, your PSI is {value:.4f}: every term (actual − expected) · ln(actual / "
                              "expected) is zero or positive, so PSI is never negative. Check the signs.")
        raise CheckFailed(f"On {what}, your PSI is {value:.4f}, but it should be {right:.4f}. Steps: sort the edges as "
                          "numbers; subtract start from end per bucket; difference neighbouring buckets; divide by "
                          "the total; then sum (a − e) · ln(a / e) with shares of 0 replaced by eps.")
    reference, start, end = _cases()["a shifted week"]
    reset = dict(end)
    reset["+Inf"] = start["+Inf"] - 5                     # the process restarted: the counters began again at 0
    bad_inputs = [
        ((reference, start, reset), "scrapes where a counter went down (the process restarted in between)",
         "a counter reset: the increase is not end − start any more, and a negative count is not a share"),
        ((reference, start, dict(start)), "two identical scrapes (nothing observed in between)",
         "no observations: 0/0 shares"),
        ((reference, start, {k: v for k, v in end.items() if k != "0.25"}), "scrapes with different buckets",
         "buckets that differ: two different histograms"),
        ((reference[:-1], start, end), "6 reference shares for 7 buckets", "shares that do not match the buckets"),
    ]
    for args, what, why in bad_inputs:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                result = fn(list(args[0]), dict(args[1]), dict(args[2]), eps=1e-4)
        except ValueError:
            continue
        except Exception as error:  # noqa: BLE001 - any other error is the wrong kind
            raise CheckFailed(f"Given {what}, psi_from_scrapes raised {type(error).__name__}. Raise ValueError with a "
                              f"message that says what is wrong ({why}), so a monitoring job fails clearly.") from None
        raise CheckFailed(f"Given {what}, psi_from_scrapes returned {result!r} instead of raising ValueError: {why}. A "
                          "drift score computed from that must not look like a number.")
    passed("psi_from_scrapes sorts the buckets as numbers, takes the increase between the scrapes, undoes the "
           "cumulative `le` counting, and matches the reference on all three weeks; it rejects counter resets, empty "
           "windows and mismatched buckets.")


# --------------------------------------------------------------------------------------------------
# Task 2: the gate decision
# --------------------------------------------------------------------------------------------------

DECISIONS = ("promote", "reject", "undecided")


def paired_interval(y_true, pred_champion, pred_challenger, n_resamples: int = 1000, confidence: float = 0.95,
                    seed: int = 0) -> tuple[float, float]:
    """Percentile interval of the accuracy gain (challenger − champion), resampling rows in pairs."""
    y = np.asarray(y_true)
    per_row = (np.asarray(pred_challenger) == y).astype(float) - (np.asarray(pred_champion) == y)
    return percentile_interval(per_row, n_resamples, confidence, seed)


def _recall(y, pred) -> float:
    y, pred = np.asarray(y), np.asarray(pred)
    return float(((pred == 1) & (y == 1)).sum() / max((y == 1).sum(), 1))


def gate_decision(y_true, pred_champion, pred_challenger, *, margin: float, max_recall_drop: float, min_rows: int,
                  n_resamples: int = 1000, confidence: float = 0.95, seed: int = 0) -> str:
    """The reference gate: "undecided" below min_rows; "reject" if recall falls by more than max_recall_drop;
    otherwise "promote" if the interval's low end is above the margin, "reject" if its high end is below it."""
    if len(y_true) < min_rows:
        return "undecided"
    if _recall(y_true, pred_challenger) - _recall(y_true, pred_champion) < -max_recall_drop:
        return "reject"
    low, high = paired_interval(y_true, pred_champion, pred_challenger, n_resamples, confidence, seed)
    if low > margin:
        return "promote"
    if high < margin:
        return "reject"
    return "undecided"


def _evaluation(n: int, wins_pos: int, wins_neg: int, losses_pos: int, losses_neg: int, seed: int):
    """Labels (30 % positive) and two models' 0/1 predictions: the champion is right on 80 % of the rows; the
    challenger differs on exactly the rows given: wins on the champion's false negatives / false positives,
    losses on its true positives / true negatives."""
    rng = np.random.default_rng(seed)
    y = np.zeros(n, dtype=int)
    y[rng.permutation(n)[: int(0.3 * n)]] = 1
    champion_right = np.zeros(n, dtype=bool)
    champion_right[rng.permutation(n)[: int(0.8 * n)]] = True
    champion = np.where(champion_right, y, 1 - y)
    challenger = champion.copy()
    groups = {"fn": (y == 1) & ~champion_right, "fp": (y == 0) & ~champion_right,
              "tp": (y == 1) & champion_right, "tn": (y == 0) & champion_right}
    for group, count in (("fn", wins_pos), ("fp", wins_neg), ("tp", losses_pos), ("tn", losses_neg)):
        rows = rng.choice(np.flatnonzero(groups[group]), count, replace=False)
        challenger[rows] = 1 - challenger[rows]
    return y, champion, challenger


def example_evaluation() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The exercise's data: labels of 3,000 recent held-out pods and both models' predictions."""
    return _evaluation(3000, 60, 45, 12, 18, seed=14)


_RULE = dict(margin=0.01, max_recall_drop=0.02, min_rows=1000)

# name: (evaluation set, rule overrides, extra keyword arguments, what it tests)
_GATE_CASES = {
    "clear win": ((2000, 35, 35, 10, 10, 1), {}, {}, "a challenger better by 0.025 with higher recall"),
    "recall falls": ((2000, 0, 80, 30, 0, 2), {}, {},
                     "a challenger better by 0.025 in accuracy that misses 0.05 more of the positives"),
    "too few rows": ((600, 15, 15, 3, 3, 3), {}, {}, "a clear win measured on only 600 rows (min_rows 1000)"),
    "straddles": ((2000, 27, 27, 15, 15, 4), {}, {},
                  "a gain of 0.012 whose interval straddles the margin 0.01"),
    "below margin": ((2000, 35, 35, 10, 10, 1), {"margin": 0.04}, {},
                     "a confident gain of about 0.025, below the margin 0.04"),
    "clear loss": ((2000, 10, 10, 10, 60, 5), {}, {}, "a challenger worse by 0.025 with the same recall"),
    "lower confidence": ((2000, 32, 32, 14, 14, 6), {}, {"confidence": 0.80},
                         "a gain of 0.018 judged at confidence 0.80 (its 95 % interval straddles the margin)"),
}


def _gate_call(fn: Callable, case: tuple, rule: dict, extra: dict, n_resamples: int = 4000):
    y, champion, challenger = _evaluation(*case)
    kwargs = {**_RULE, **rule, "n_resamples": n_resamples, "seed": 0, **extra}
    try:
        result = fn(y, champion, challenger, **kwargs)
    except NotImplementedError:
        raise NotDoneYet("Not done yet: `gate_decision` still raises NotImplementedError. Write its body, run the cell, "
                         "then run this check.") from None
    except TypeError as error:
        raise CheckFailed(f"Calling gate_decision with the keyword arguments {sorted(kwargs)} failed ({error}). Keep the "
                          "signature gate_decision(y_true, pred_champion, pred_challenger, *, margin, max_recall_drop, "
                          "min_rows, n_resamples=1000, confidence=0.95, seed=0).") from None
    except Exception as error:  # noqa: BLE001
        raise CheckFailed(f"gate_decision raised {type(error).__name__}: {error}") from None
    if isinstance(result, (tuple, list)):
        raise CheckFailed(f"gate_decision returned {type(result).__name__} {result!r:.100}: return only the decision, "
                          f"one of {list(DECISIONS)}.")
    require(isinstance(result, str) and result in DECISIONS,
            f"gate_decision should return one of {list(DECISIONS)} (lower case); it returned {result!r}.")
    return result, (y, champion, challenger), kwargs


def _unpaired(y, champion, challenger, confidence=0.95, n_resamples=4000, seed=0) -> tuple[float, float]:
    rng = np.random.default_rng(seed)
    right_a, right_b = (champion == y).astype(float), (challenger == y).astype(float)
    a = right_a[rng.integers(0, len(y), size=(n_resamples, len(y)))].mean(axis=1)
    b = right_b[rng.integers(0, len(y), size=(n_resamples, len(y)))].mean(axis=1)
    tail = 100 * (1 - confidence) / 2
    return tuple(np.percentile(b - a, [tail, 100 - tail]))


def check_gate_decision(fn: Any) -> None:
    """Run the learner's gate on seven constructed evaluation sets whose right decision is known."""
    require_done(fn, "gate_decision")
    require(callable(fn), f"`gate_decision` should be a function, but it is a {type(fn).__name__}.")
    for name, (case, rule, extra, what) in _GATE_CASES.items():
        got, (y, champion, challenger), kwargs = _gate_call(fn, case, rule, extra)
        want = gate_decision(y, champion, challenger, **{**kwargs, "n_resamples": 20_000, "seed": 12345})
        if got == want:
            continue
        margin, gain = kwargs["margin"], float(np.mean(challenger == y) - np.mean(champion == y))
        low, high = paired_interval(y, champion, challenger, 20_000, kwargs.get("confidence", 0.95), 12345)
        told = f"For {what}, your gate says {got!r}; it should say {want!r}."
        if name == "too few rows":
            raise CheckFailed(f"{told} The rule needs at least min_rows labelled rows: with fewer, the answer is "
                              "'undecided' whatever the interval says (check len(y_true) first).")
        if name == "recall falls":
            raise CheckFailed(f"{told} The recall guardrail: if the challenger's recall is more than max_recall_drop "
                              "below the champion's, reject, however good its accuracy (recall = true positives / "
                              "actual positives, challenger minus champion).")
        if name == "straddles":
            raise CheckFailed(f"{told} The interval [{low:+.4f}, {high:+.4f}] contains the margin {margin}: the data "
                              "cannot tell whether the gain is worth a release. Promote only when the LOW end is above "
                              "the margin: not above zero, and not on the point estimate or the high end.")
        if name == "below margin":
            raise CheckFailed(f"{told} The interval [{low:+.4f}, {high:+.4f}] lies above zero but below the margin "
                              f"{margin}: confidently better, by less than a release is worth. Compare both ends with "
                              "the margin (reject when high < margin), not with zero.")
        if name == "clear win" and got == "undecided":
            u_low, u_high = _unpaired(y, champion, challenger)
            raise CheckFailed(f"{told} Its paired 95 % interval is [{low:+.4f}, {high:+.4f}], above the margin. If the two "
                              "models' rows are resampled independently, the interval widens to about "
                              f"[{u_low:+.4f}, {u_high:+.4f}] and straddles the margin: draw ONE set of row indices per "
                              "resample and score both models on those same rows (paired).")
        if name in ("clear win", "clear loss"):
            raise CheckFailed(f"{told} The accuracy gain is {gain:+.3f}, interval [{low:+.4f}, {high:+.4f}]. Check the "
                              "direction of your differences: challenger − champion, for accuracy and for recall, so "
                              "that a positive gain means the challenger is better.")
        if name == "lower confidence":
            raise CheckFailed(f"{told} At confidence 0.80 the interval is [{low:+.4f}, {high:+.4f}], above the margin; "
                              "your gate seems to ignore `confidence`. Take the percentiles 100·(1−c)/2 and "
                              "100·(1+c)/2 of the resampled gains.")
        raise CheckFailed(told)
    # Paired, not unpaired: on the clear win the unpaired interval would straddle the margin.
    y, champion, challenger = _evaluation(*_GATE_CASES["clear win"][0])
    assert _unpaired(y, champion, challenger)[0] < _RULE["margin"], "the unpaired case is not discriminating"
    passed("gate_decision applies the minimum sample, the recall guardrail and the paired interval against the margin "
           "correctly on all seven constructed cases (win, recall drop, too few rows, straddle, below the margin, "
           "loss, lower confidence).")


# --------------------------------------------------------------------------------------------------
# Tasks 3 and 4: promotion and rollback against a toy registry and a toy service
# --------------------------------------------------------------------------------------------------

class ToyRegistryError(Exception):
    """What the toy registry raises where MLflow would raise an MlflowException."""


@dataclass
class _Version:
    name: str
    version: str
    current_stage: str = "None"
    tags: dict = field(default_factory=dict)
    aliases: list = field(default_factory=list)


@dataclass
class _RegisteredModel:
    name: str
    tags: dict = field(default_factory=dict)
    aliases: dict = field(default_factory=dict)


class ToyRegistry:
    """A model registry in memory with the method names and arguments of ``mlflow.MlflowClient``.

    Every call is recorded in ``calls`` as ``(method, arguments)``, so a check (or you) can read the plan your
    code executed, in order.
    """

    def __init__(self, name: str, versions: list[str], aliases: dict[str, str], tags: dict[str, str] | None = None,
                 version_tags: dict[str, dict] | None = None):
        self._name = name
        self._versions = {str(v): dict((version_tags or {}).get(str(v), {})) for v in versions}
        self._aliases = {a: str(v) for a, v in aliases.items()}
        self._tags = dict(tags or {})
        self._stages = {v: "None" for v in self._versions}
        self.deleted: list[str] = []
        self.calls: list[tuple[str, tuple]] = []

    # ---- helpers
    def _model(self, name: str) -> None:
        if name != self._name:
            raise ToyRegistryError(f"Registered Model with name={name} not found (this registry holds {self._name!r})")

    def _version(self, name: str, version) -> str:
        self._model(name)
        version = str(version)
        if version not in self._versions:
            raise ToyRegistryError(f"Model Version (name={name}, version={version}) not found")
        return version

    def _record(self, method: str, *args) -> None:
        self.calls.append((method, args))

    # ---- reads
    def get_registered_model(self, name: str) -> _RegisteredModel:
        self._record("get_registered_model", name)
        self._model(name)
        return _RegisteredModel(name, dict(self._tags), dict(self._aliases))

    def get_model_version(self, name: str, version) -> _Version:
        self._record("get_model_version", name, version)
        version = self._version(name, version)
        return _Version(name, version, self._stages[version], dict(self._versions[version]),
                        sorted(a for a, v in self._aliases.items() if v == version))

    def get_model_version_by_alias(self, name: str, alias: str) -> _Version:
        self._record("get_model_version_by_alias", name, alias)
        self._model(name)
        if alias not in self._aliases:
            raise ToyRegistryError(f"Registered model alias {alias} not found.")
        version = self._aliases[alias]
        return _Version(name, version, self._stages[version], dict(self._versions[version]),
                        sorted(a for a, v in self._aliases.items() if v == version))

    def search_model_versions(self, filter_string: str | None = None, *args, **kwargs) -> list[_Version]:
        self._record("search_model_versions", filter_string)
        return [self.get_model_version(self._name, v) for v in self._versions]

    # ---- writes
    def set_registered_model_alias(self, name: str, alias: str, version) -> None:
        self._record("set_registered_model_alias", name, alias, str(version))
        self._aliases[alias] = self._version(name, version)

    def delete_registered_model_alias(self, name: str, alias: str) -> None:
        self._record("delete_registered_model_alias", name, alias)
        self._model(name)
        self._aliases.pop(alias, None)

    def set_registered_model_tag(self, name: str, key: str, value) -> None:
        self._record("set_registered_model_tag", name, key, str(value))
        self._model(name)
        self._tags[key] = str(value)

    def set_model_version_tag(self, name: str, version, key: str, value) -> None:
        self._record("set_model_version_tag", name, str(version), key, str(value))
        self._versions[self._version(name, version)][key] = str(value)

    def delete_model_version(self, name: str, version) -> None:
        self._record("delete_model_version", name, str(version))
        version = self._version(name, version)
        del self._versions[version]
        self._aliases = {a: v for a, v in self._aliases.items() if v != version}
        self.deleted.append(version)

    def transition_model_version_stage(self, name: str, version, stage: str, archive_existing_versions: bool = False):
        self._record("transition_model_version_stage", name, str(version), stage)
        self._stages[self._version(name, version)] = stage

    def __getattr__(self, attribute: str):
        raise AttributeError(f"the toy registry implements only the MlflowClient methods a promotion needs "
                             f"(get_/set_/delete_ registered model aliases and tags, model version tags); "
                             f"not {attribute!r}")

    # ---- for the checks and the notebook
    def state(self) -> dict:
        return {"aliases": dict(sorted(self._aliases.items())), "tags": dict(self._tags),
                "version_tags": copy.deepcopy(self._versions), "stages": dict(self._stages), "deleted": list(self.deleted)}

    def plan(self) -> list[str]:
        """The write calls made so far (and the service's reloads), in order, one line each."""
        return [f"{method}({', '.join(repr(a) for a in args)})" for method, args in self.calls
                if not method.startswith(("get_", "search_"))]

    @classmethod
    def before_promotion(cls, name: str = "oom-risk") -> ToyRegistry:
        """Version 1 serves; version 2 was rejected by the gate; version 3 is the new challenger."""
        return cls(name, ["1", "2", "3"], {"champion": "1", "challenger": "3"},
                   version_tags={"2": {"gate": "reject"}, "3": {"gate": "promote"}})

    @classmethod
    def after_promotion(cls, name: str = "oom-risk") -> ToyRegistry:
        """Version 3 was promoted from version 1 (recorded in previous_champion); version 2 never served."""
        return cls(name, ["1", "2", "3"], {"champion": "3"}, tags={"previous_champion": "1"},
                   version_tags={"2": {"gate": "reject"}, "3": {"gate": "promote"}})


class ToyService:
    """An inference service that resolves ``champion`` when it starts and on ``reload()``, like the chapter's.

    With ``broken=True`` its reload answers but keeps serving the old version (a reload that did not take).
    """

    def __init__(self, registry: ToyRegistry, name: str, broken: bool = False):
        self._registry, self._name, self._broken = registry, name, broken
        self._version = registry._aliases["champion"]
        self.reloads: list[int] = []                     # index into registry.calls at each reload

    def reload(self) -> dict:
        self.reloads.append(len(self._registry.calls))
        self._registry.calls.append(("service.reload", ()))      # so that the plan shows it in order
        previous = self._version
        if not self._broken:
            self._version = self._registry._aliases.get("champion", previous)
        return {"model_version": self._version, "previous_version": previous}

    def serving_version(self) -> str:
        """What GET /readyz (or the model_version in any answer) says."""
        return self._version


def _run_plan(fn: Callable, name: str, registry: ToyRegistry, service: ToyService, args: tuple, label: str):
    try:
        return fn(registry, service, name, *args)
    except NotImplementedError:
        raise NotDoneYet(f"Not done yet: `{label}` still raises NotImplementedError. Write its body, run the cell, "
                         "then run this check.") from None
    except Exception as error:  # noqa: BLE001 - first look for the step mistake that made it fail
        _diagnose_steps(registry, service, label)
        if isinstance(error, ToyRegistryError):
            raise CheckFailed(f"`{label}` made the registry fail: {error}. Check the model name and the version you "
                              "passed, and that the alias exists before you read it.") from None
        if isinstance(error, TypeError):
            raise CheckFailed(f"Calling `{label}` failed with TypeError: {error}. Keep the signature given in the "
                              "task, and call the client with MlflowClient's arguments.") from None
        raise CheckFailed(f"`{label}` raised {type(error).__name__}: {error}") from None


def _diagnose_steps(registry: ToyRegistry, service: ToyService, label: str) -> None:
    """The step mistakes that can be seen in the calls made so far, whether or not the function finished."""
    _forbidden_calls(registry, label)
    _alias_typos(registry.state(), label)
    moved = [args[1] for m, args in registry.calls if m == "set_registered_model_alias"]
    if moved and "champion" not in moved:
        raise CheckFailed(f"`{label}` never moved `champion` (it moved: {', '.join(sorted(set(moved)))}). The service "
                          "loads `@champion`: that is the alias a promotion or a rollback moves.")
    if moved:
        _reload_after_move(registry, service, label)


def _forbidden_calls(registry: ToyRegistry, label: str) -> None:
    methods = [m for m, _ in registry.calls]
    if "transition_model_version_stage" in methods:
        raise CheckFailed(f"`{label}` sets a registry stage. Stages are deprecated (since MLflow 2.9) and the service "
                          "loads `@champion`, so a stage changes nothing it serves: move the alias instead.")
    if registry.deleted:
        raise CheckFailed(f"`{label}` deleted version {registry.deleted[0]}. Never delete a version to promote or roll "
                          "back: it destroys the evidence and breaks anything pinned to it. Move the alias.")


def _alias_typos(state: dict, label: str) -> None:
    for alias in state["aliases"]:
        if alias != alias.lower() and alias.lower() in ("champion", "challenger"):
            raise CheckFailed(f"`{label}` set the alias {alias!r}. Alias names are exact strings, and the service "
                              f"loads `@{alias.lower()}`: use {alias.lower()!r}.")


def _reload_after_move(registry: ToyRegistry, service: ToyService, label: str) -> None:
    moves = [i for i, (m, args) in enumerate(registry.calls)
             if m == "set_registered_model_alias" and args[1] == "champion"]
    if not service.reloads:
        raise CheckFailed(f"`{label}` moved the alias but never called `service.reload()`: the running service still "
                          f"serves version {service.serving_version()}. An alias is resolved when a model is loaded.")
    if moves and max(service.reloads) <= moves[-1]:
        raise CheckFailed(f"`{label}` reloads the service before it moves `champion`, so the service loads the old "
                          "version again. Move the alias first, then reload.")


def check_promote(promote: Any) -> None:
    """Run the learner's ``promote(client, service, name, version)`` against the toy registry and service."""
    require_done(promote, "promote")
    require(callable(promote), f"`promote` should be a function, but it is a {type(promote).__name__}.")
    name = "oom-risk"
    registry = ToyRegistry.before_promotion(name)
    service = ToyService(registry, name)
    result = _run_plan(promote, name, registry, service, ("3",), "promote")
    state = registry.state()
    _diagnose_steps(registry, service, "promote")
    champion = state["aliases"].get("champion")
    if champion != "3":
        raise CheckFailed(f"After `promote`, `champion` points at version {champion}; it should point at version 3, "
                          "the version you were asked to promote.")
    recorded = state["tags"].get("previous_champion")
    if recorded is None:
        raise CheckFailed("`promote` did not record the previous champion. The registry keeps only where an alias "
                          "points now: set the registered-model tag `previous_champion` to the old champion's version "
                          "(here 1) so that a rollback knows where to go.")
    if recorded == "3":
        raise CheckFailed("`promote` recorded previous_champion = 3, the NEW champion: it read the alias after moving "
                          "it. Read `champion` and write the tag first, then move the alias.")
    if recorded != "1":
        raise CheckFailed(f"`promote` recorded previous_champion = {recorded}; the champion before the promotion was "
                          "version 1. Read it from the registry (get_model_version_by_alias(name, 'champion')) "
                          "rather than computing it.")
    if "challenger" in state["aliases"]:
        raise CheckFailed("After `promote`, `challenger` still points at version 3, which is now champion. Delete the "
                          "challenger alias (delete_registered_model_alias): otherwise the next gate compares the "
                          "champion with itself.")
    _reload_after_move(registry, service, "promote")
    if service.serving_version() != "3":
        raise CheckFailed(f"After `promote`, the service serves version {service.serving_version()}.")
    require(result is not None and str(result) == "3",
            f"`promote` returned {result!r}; return the version the service reports after the reload "
            "(service.serving_version()), here '3'.")
    plan = registry.plan()
    # A reload that does not take must not go unnoticed.
    broken_registry = ToyRegistry.before_promotion(name)
    broken = ToyService(broken_registry, name, broken=True)
    try:
        promote(broken_registry, broken, name, "3")
    except NotImplementedError:
        raise NotDoneYet("Not done yet: `promote` still raises NotImplementedError.") from None
    except Exception:  # noqa: BLE001 - any error means the function noticed
        pass
    else:
        raise CheckFailed("With a service whose reload did not take (it still serves version 1), `promote` returned "
                          "normally. Verify from the service: compare service.serving_version() with the version you "
                          "promoted, and raise (e.g. RuntimeError) if they differ, so the pipeline stops and someone "
                          "looks.")
    passed("promote records previous_champion = 1, moves champion to 3, drops challenger, reloads, verifies and "
           "notices a reload that did not take. Its plan: " + "; ".join(plan))


def check_rollback(rollback: Any) -> None:
    """Run the learner's ``rollback(client, service, name, reason)`` after a promotion of 3 over 1."""
    require_done(rollback, "rollback")
    require(callable(rollback), f"`rollback` should be a function, but it is a {type(rollback).__name__}.")
    name, reason = "oom-risk", "moves per hour tripled after the promotion"
    registry = ToyRegistry.after_promotion(name)
    service = ToyService(registry, name)
    result = _run_plan(rollback, name, registry, service, (reason,), "rollback")
    state = registry.state()
    _diagnose_steps(registry, service, "rollback")
    champion = state["aliases"].get("champion")
    if champion == "2":
        raise CheckFailed("`rollback` moved champion to version 2, the version before 3. But version 2 never served: "
                          "the gate rejected it. Roll back to the version the promotion recorded in the "
                          "registered-model tag `previous_champion` (here 1).")
    if champion != "1":
        raise CheckFailed(f"After `rollback`, champion points at version {champion}; it should point at version 1, "
                          "read from the registered-model tag `previous_champion`.")
    moves = [args[2] for m, args in registry.calls if m == "set_registered_model_alias" and args[1] == "champion"]
    if len(moves) > 1:
        raise CheckFailed(f"`rollback` moved champion {len(moves)} times (to {', '.join(moves)}). A rollback is one "
                          "alias move: champion straight back to previous_champion.")
    note = state["version_tags"]["3"]
    if not any(v == reason for v in note.values()):
        raise CheckFailed("`rollback` did not tag the demoted version 3 with the reason. Set a model-version tag "
                          "(e.g. `rolled_back`) on version 3 whose value is `reason`, for the post-mortem.")
    _reload_after_move(registry, service, "rollback")
    require(result is not None and str(result) == "1",
            f"`rollback` returned {result!r}; return the version the service reports after the reload, here '1'.")
    plan = registry.plan()
    broken_registry = ToyRegistry.after_promotion(name)
    broken = ToyService(broken_registry, name, broken=True)
    try:
        rollback(broken_registry, broken, name, reason)
    except NotImplementedError:
        raise NotDoneYet("Not done yet: `rollback` still raises NotImplementedError.") from None
    except Exception:  # noqa: BLE001
        pass
    else:
        raise CheckFailed("With a service whose reload did not take (it still serves version 3), `rollback` returned "
                          "normally. Verify from the service after the reload and raise if it does not serve the "
                          "version you rolled back to: an unverified rollback is how an incident runs on.")
    passed("rollback moves champion to the recorded previous champion (1, not 2), tags version 3 with the reason, "
           "reloads, verifies and notices a reload that did not take. Its plan: " + "; ".join(plan))
