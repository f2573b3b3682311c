"""Self-checks for exercise 10, *Testing and CI/CD for ML*.

- :func:`check_ml_test_score`: section sums and the final score of a filled ML Test Score rubric; diagnoses
  averaging or summing the sections instead of taking the minimum, and the wrong points per status
  (manual = 1, the 2016 workshop scale 1/2, forgetting the manual half points).
- :func:`check_directional_violations`: the learner's directional behavioural test, run on small models
  built here; diagnoses counting increases instead of decreases, comparing labels instead of scores,
  returning a share or a mask instead of a count, ignoring ``delta``, and modifying ``X`` in place.
- :func:`check_bootstrap_gate`: the learner's paired bootstrap gate, run on constructed evaluation sets whose
  right answers are known; diagnoses unpaired resampling, a 90 % instead of a 95 % interval, fractions passed
  to ``np.percentile``, a reversed difference, ignoring ``confidence`` or ``seed``, and a decision rule that
  promotes when the interval straddles the margin.
- :func:`check_promotion_policy`: the open task's policy (margin, confidence, minimum evaluation rows,
  resamples) against the stated requirements, and a justification with substance.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from statistics import NormalDist

import numpy as np
import pandas as pd

from coursekit.checks import (
    CheckFailed,
    call_learner,
    diagnose,
    passed,
    require,
    require_done,
    require_function,
    require_number,
    require_prose,
    within,
)
from coursekit.exports.ch10 import paired_bootstrap

__all__ = [
    "SECTIONS", "POINTS",
    "check_ml_test_score", "check_directional_violations", "check_bootstrap_gate", "check_promotion_policy",
]

SECTIONS = ("Data", "Model", "Infrastructure", "Monitoring")
POINTS = {"none": 0.0, "manual": 0.5, "automated": 1.0}
DECISIONS = ("promote", "reject", "undecided")
EXACT = within(abs=1e-9)  # sums of halves and their minimum are exact
REFERENCE_RESAMPLES = 5_000  # the reference intervals: stable to about 1 % of their width; memory stays ~160 MB


# --------------------------------------------------------------------------------------------------
# Task 1: the ML Test Score
# --------------------------------------------------------------------------------------------------

def _section_sums(answers: Mapping[str, list[str]], points: Mapping[str, float]) -> dict[str, float]:
    return {section: float(sum(points[s] for s in answers[section])) for section in SECTIONS}


def check_ml_test_score(section_scores, final_score, answers: Mapping[str, list[str]]) -> None:
    """Check the per-section sums and the final score (the minimum) of the filled rubric *answers*."""
    require_done(section_scores, "section_scores")
    require_done(final_score, "final_score")
    if isinstance(section_scores, pd.Series):
        section_scores = section_scores.to_dict()
    require(isinstance(section_scores, Mapping),
            f"`section_scores` should be a dict from section name to points, e.g. {{'Data': 5.5, ...}}; "
            f"it is a {type(section_scores).__name__}.")
    lower = {str(k).strip().lower(): k for k in section_scores}
    missing = [s for s in SECTIONS if s.lower() not in lower]
    require(not missing, f"`section_scores` has no entry for {missing}: give one total per section of the rubric, "
                         f"keyed {list(SECTIONS)}.")
    given = {s: require_number(section_scores[lower[s.lower()]], f"section_scores['{s}']") for s in SECTIONS}

    right = _section_sums(answers, POINTS)
    if not all(EXACT(given[s], right[s]) for s in SECTIONS):
        for points, message in _POINTS_MISTAKES:
            if all(EXACT(given[s], v) for s, v in _section_sums(answers, points).items()):
                raise CheckFailed(message)
        wrong = [s for s in SECTIONS if not EXACT(given[s], right[s])]
        raise CheckFailed(f"The score of section {wrong[0]!r} is {given[wrong[0]]:g}, which does not match its seven "
                          f"statuses. Add up `POINTS[status]` over the section's list.")

    final = require_number(final_score, "final_score")
    values = list(right.values())
    if EXACT(final, min(values)):
        weakest = min(right, key=right.get)
        passed(f"section scores {', '.join(f'{s} {right[s]:g}' for s in SECTIONS)}; ML Test Score = "
               f"{final:g}, the {weakest} section. That is where the next automation goes.")
        return
    diagnose(final, "final_score", min(values),
             [(aggregate(values), message) for aggregate, message in _FINAL_MISTAKES], close=EXACT, template="`{name}` = {value:g} {message}")
    raise CheckFailed(f"`final_score` = {final:g} is not the minimum of your section scores ({min(values):g}).")


# Mistakes in the points per status: (the points they use, what is wrong)
_POINTS_MISTAKES = [
    ({"none": 0, "manual": 1, "automated": 1},
     "Your section scores count every test that is done as one point. A manual test (run by hand, results written "
     "down and shared) earns half a point; only an automated one earns a full point."),
    ({"none": 0, "manual": 1, "automated": 2},
     "Your section scores give 1 point for manual and 2 for automated tests: that is the 2016 workshop version of "
     "the rubric. The 2017 paper gives 0.5 for manual and 1 for automated; use `POINTS`."),
    ({"none": 0, "manual": 0, "automated": 1},
     "Your section scores count only the automated tests. Manual tests earn half a point each (`POINTS['manual']` "
     "is 0.5)."),
    ({"none": 0.5, "manual": 1.0, "automated": 1.5},
     "Your section scores are 0.5 too high for every test: 'none' earns 0 points."),
]

# Mistakes in the final score: (how they combine the sections, what is wrong)
_FINAL_MISTAKES = [
    (lambda v: float(np.mean(v)), "is the mean of the sections. The paper takes the minimum, so that a strong "
                                  "section cannot hide a weak one."),
    (sum, "is the sum of the sections. The final ML Test Score is the minimum of the four section scores."),
    (max, "is the best section. The score is set by the weakest one: use min()."),
    (lambda v: float(np.median(v)), "is the median of the sections. Use the minimum."),
]


# --------------------------------------------------------------------------------------------------
# Task 2: a directional test
# --------------------------------------------------------------------------------------------------

class _Curve:
    """A tiny 'model': predict_proba from a formula over the column ``load``, like a fitted classifier."""

    def __init__(self, score: Callable[[np.ndarray], np.ndarray]):
        self._score = score

    def predict_proba(self, X):
        p = 1 / (1 + np.exp(-self._score(np.asarray(X["load"], dtype=float))))
        return np.column_stack([1 - p, p])

    def predict(self, X):
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)


_RISING = _Curve(lambda x: x - 3)
_WAVY = _Curve(lambda x: 2.5 * np.sin(1.7 * x) + 0.3 * x - 1)
_FALLING = _Curve(lambda x: 3 - x)


def _toy_rows() -> pd.DataFrame:
    load = np.linspace(0, 6, 241)
    return pd.DataFrame({"load": load, "weight": np.resize([1.0, 2.0, 3.0], len(load))})


def _violations_with_mistake(model, X, feature, delta, mistake: str) -> float:
    """What a directional test with one typical mistake counts, to recognise the learner's value."""
    before = model.predict_proba(X)[:, 1]
    changed = X.copy()
    changed[feature] = changed[feature] * delta if mistake == "multiply" else changed[feature] + delta
    after = model.predict_proba(changed)[:, 1]
    if mistake == "labels":
        return int((model.predict(X) > model.predict(changed)).sum())
    if mistake == "increases":
        return int((after - before > 1e-6).sum())
    falls = before - after > 1e-6
    return float(falls.mean()) if mistake == "share" else int(falls.sum())


# The usual mistakes: (what they count, what is wrong; {value} is the learner's count, {right} the right one)
_DIRECTIONAL_MISTAKES = [
    ("share", "Your function returns {value:.3f}, a share of the rows. Return the number of rows (here {right})."),
    ("increases", "Your function counts the rows whose risk *rose* (or did not fall). A directional test counts "
                  "violations: rows whose risk *fell* when the risk factor went up (before − after > 1e-6)."),
    ("labels", "Your function compares predicted labels (`predict`). A score can fall without crossing the 0.5 "
               "threshold: compare `predict_proba(X)[:, 1]` before and after."),
    ("multiply", "Your function multiplies the feature by `delta`. Increase it by `delta`: `X[feature] + delta`."),
]


def _call_directional(fn: Callable, *args):
    return call_learner(fn, *args, name="directional_violations",
                        signature="directional_violations(model, X, feature, delta)")


def check_directional_violations(directional_violations) -> None:
    """Run the learner's ``directional_violations(model, X, feature, delta)`` on small models built here."""
    from coursekit.checks._answers.ch10 import directional_violations as reference

    require_function(directional_violations, "directional_violations", shape="(model, X, feature, delta) -> int",
                     reference=reference)
    X = _toy_rows()
    pristine = X.copy()
    got = _call_directional(directional_violations, _WAVY, X, "load", 0.5)
    if not X.equals(pristine):
        raise CheckFailed("Your function changed `X` in place: the caller's data is now different. Work on a copy "
                          "(`X.copy()` or `X.assign(...)`), so that a test never alters what it tests.")
    require(got is not None, "Your function returns None: `return` the number of rows whose risk fell.")
    if isinstance(got, (pd.Series, pd.DataFrame, np.ndarray, list)) and np.ndim(got) > 0:
        raise CheckFailed("Your function returns one value per row. Return the *number* of rows whose risk fell, "
                          "e.g. `int(fell.sum())`.")
    count = require_number(got, "the value your function returns")
    expected = reference(_WAVY, X, "load", 0.5)
    if count != expected:
        diagnose(count, "directional_violations", expected,
                 [(_violations_with_mistake(_WAVY, X, "load", 0.5, mistake),
                   message.format(value=count, right=expected)) for mistake, message in _DIRECTIONAL_MISTAKES],
                 close=EXACT, template="{message}")
        raise CheckFailed(f"On a test model your function found {count:g} violations where there are {expected}. "
                          "Compute the risk score before and after adding `delta` to `feature`, and count the rows "
                          "where it fell by more than 1e-6.")
    for model, feature, delta, what in [
        (_RISING, "load", 0.5, "a model whose risk always rises with the feature"),
        (_WAVY, "load", 0.2, "a different `delta`"),
        (_FALLING, "load", 0.5, "a model whose risk always falls"),
        (_WAVY, "weight", 1.0, "a feature the model does not read"),
    ]:
        want = reference(model, X, feature, delta)
        got = _call_directional(directional_violations, model, X, feature, delta)
        got = require_number(got, "the value your function returns")
        if got != want:
            hint = {"a different `delta`": " Use the `delta` argument, not a fixed step.",
                    "a feature the model does not read": " Change the column named by `feature`, not a fixed one."
                    }.get(what, "")
            raise CheckFailed(f"With {what} your function returns {got:g}; expected {want}.{hint}")
    passed(f"directional_violations counts the rows whose risk score falls when a feature rises: {expected} of "
           f"{len(X)} on a wavy test model, 0 on a monotone one, and it leaves X untouched.")


# --------------------------------------------------------------------------------------------------
# Task 3: the bootstrap gate
# --------------------------------------------------------------------------------------------------

def _constructed_case(n: int, disagree: float, favour: float, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Labels and two models' predictions: champion 75 % accurate; on a share *disagree* of the rows the
    challenger's correctness differs, in its favour on a share *favour* of those rows (exact counts)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    order = rng.permutation(n)
    champion_right = np.zeros(n, dtype=bool)
    champion_right[order[: int(0.75 * n)]] = True
    challenger_right = champion_right.copy()
    n_diff = int(round(disagree * n))
    n_win = int(round(favour * n_diff))
    wrong_rows = np.flatnonzero(~champion_right)
    right_rows = np.flatnonzero(champion_right)
    challenger_right[rng.choice(wrong_rows, n_win, replace=False)] = True             # challenger wins these
    challenger_right[rng.choice(right_rows, n_diff - n_win, replace=False)] = False   # and loses these
    champion = np.where(champion_right, y, 1 - y)
    challenger = np.where(challenger_right, y, 1 - y)
    return y, champion, challenger


def _reference_ci(y, champion, challenger, confidence: float, n_resamples: int = REFERENCE_RESAMPLES,
                  seed: int = 12345) -> tuple[float, float]:
    """The interval of chapter 10's own paired bootstrap (coursekit/exports/ch10.py)."""
    _, low, high = paired_bootstrap(y, champion, challenger, n_resamples, confidence, seed)
    return float(low), float(high)


def _gate_result(fn, *args, **kwargs) -> tuple[float, float, str]:
    out = call_learner(fn, *args, **kwargs, name="bootstrap_gate", where=f"with the keyword arguments {sorted(kwargs)}",
                       signature="bootstrap_gate(y_true, pred_champion, pred_challenger, margin, n_resamples=1000, "
                                 "confidence=0.95, seed=0)")
    require(out is not None, "`bootstrap_gate` returns None: return `(low, high, decision)`.")
    require(isinstance(out, (tuple, list)) and len(out) == 3,
            f"`bootstrap_gate` should return three values, `(low, high, decision)`; it returned {out!r:.120}.")
    low = require_number(out[0], "low (the first value returned)")
    high = require_number(out[1], "high (the second value returned)")
    decision = out[2]
    require(isinstance(decision, str) and decision in DECISIONS,
            f"The decision should be one of {list(DECISIONS)} (lower case); your function returned {decision!r}.")
    return low, high, decision


def check_bootstrap_gate(bootstrap_gate) -> None:
    """Run the learner's ``bootstrap_gate`` on constructed evaluation sets whose right answers are known."""
    require_function(bootstrap_gate, "bootstrap_gate")
    # A clear win: 2,000 rows, the models disagree on 8 %, 75 % of those in the challenger's favour (+4 points).
    y, champion, challenger = _constructed_case(2000, 0.08, 0.75, seed=1)
    ref_low, ref_high = _reference_ci(y, champion, challenger, 0.95)
    ref_width, ref_mid = ref_high - ref_low, (ref_low + ref_high) / 2
    kwargs = dict(n_resamples=4000, confidence=0.95, seed=0)   # enough resamples that the width is stable to ~2 %
    low, high, decision = _gate_result(bootstrap_gate, y, champion, challenger, 0.01, **kwargs)
    require(low <= high, f"Your interval is [{low:.4f}, {high:.4f}]: the low end is above the high end. Return "
                         "(lower percentile, upper percentile, decision).")
    width, mid = high - low, (low + high) / 2
    if abs(mid + ref_mid) < 0.25 * ref_width:
        raise CheckFailed(f"Your interval [{low:+.4f}, {high:+.4f}] is centred on {mid:+.4f}, but the challenger is "
                          f"{ref_mid:+.4f} better. You computed champion − challenger; the gate needs challenger − "
                          "champion (positive when the challenger is better).")
    if width < 0.3 * ref_width:
        raise CheckFailed(f"Your interval [{low:+.4f}, {high:+.4f}] is far too narrow (the right one is about "
                          f"[{ref_low:+.4f}, {ref_high:+.4f}]). `np.percentile` takes percentages from 0 to 100: use "
                          "[2.5, 97.5] for 95 %, or `np.quantile` with [0.025, 0.975].")
    if abs(mid - ref_mid) > 0.25 * ref_width:
        raise CheckFailed(f"Your interval [{low:+.4f}, {high:+.4f}] is not centred on the observed accuracy difference "
                          f"({ref_mid:+.4f}). Resample rows of the per-row difference (challenger right − champion "
                          "right) and average each resample.")
    if width > 1.3 * ref_width:
        raise CheckFailed(f"Your interval [{low:+.4f}, {high:+.4f}] is {width / ref_width:.1f} times as wide as it should "
                          f"be (about [{ref_low:+.4f}, {ref_high:+.4f}]). That is what happens when the two models are "
                          "resampled independently: draw ONE set of row indices per resample and score both models on "
                          "those same rows (paired), e.g. `rows = rng.integers(0, n, size=(n_resamples, n))`.")
    if width < 0.91 * ref_width:
        ratio_90 = NormalDist().inv_cdf(0.95) / NormalDist().inv_cdf(0.975)
        what = "a 90 % interval (the 5th and 95th percentiles)" if abs(width / ref_width - ratio_90) < 0.08 else \
            "a narrower interval than 95 %"
        raise CheckFailed(f"Your interval [{low:+.4f}, {high:+.4f}] is narrower than a 95 % interval (about "
                          f"[{ref_low:+.4f}, {ref_high:+.4f}]): it looks like {what}. For confidence c, take the "
                          "percentiles 100·(1−c)/2 and 100·(1+c)/2: 2.5 and 97.5 for 95 %.")
    # Few resamples make the percentiles jumpy, so an unseeded function almost never repeats itself.
    repeats = {_gate_result(bootstrap_gate, y, champion, challenger, 0.01, n_resamples=150, confidence=0.95, seed=7)[:2]
               for _ in range(3)}
    require(len(repeats) == 1, "Calls with the same `seed` gave different intervals. Create the generator from the "
                               "argument, `rng = np.random.default_rng(seed)`, inside the function.")
    low90, high90, _ = _gate_result(bootstrap_gate, y, champion, challenger, 0.01, n_resamples=4000, confidence=0.90, seed=0)
    require((high90 - low90) < 0.95 * width,
            "With `confidence=0.90` your interval is as wide as with 0.95: your function ignores `confidence`. "
            "Compute the percentiles from it: 100·(1−confidence)/2 and 100·(1+confidence)/2.")
    if decision != "promote":
        raise CheckFailed(f"The interval [{low:+.4f}, {high:+.4f}] lies entirely above the margin 0.01, so the gate must "
                          f"return 'promote'; yours returned {decision!r}.")

    # A clear loss, an interval across zero with margin 0, and an interval between 0 and the margin.
    cases = [
        ((2000, 0.08, 0.25, 2), 0.01, "reject", "lies entirely below the margin"),
        ((2000, 0.10, 0.525, 3), 0.0, "undecided", "straddles the margin (here 0)"),
        ((2000, 0.04, 0.625, 4), 0.025, "reject", "is above zero but entirely below the margin 0.025"),
    ]
    for (n, disagree, favour, seed), margin, want, why in cases:
        y, champion, challenger = _constructed_case(n, disagree, favour, seed)
        low, high, decision = _gate_result(bootstrap_gate, y, champion, challenger, margin, **kwargs)
        if decision == want:
            continue
        if want == "undecided" and decision == "promote":
            raise CheckFailed(f"The interval [{low:+.4f}, {high:+.4f}] straddles the margin {margin}, and your gate "
                              "promotes. The data cannot tell whether the challenger is better: the gate must say "
                              "'undecided'. Promote only when the LOW end is above the margin.")
        if want == "reject" and decision == "undecided" and low > 0:
            raise CheckFailed(f"The interval [{low:+.4f}, {high:+.4f}] {why}: the challenger is better, but confidently by "
                              f"less than the margin, so the gate must 'reject'. Compare the HIGH end with the margin, "
                              "not with zero.")
        raise CheckFailed(f"The interval [{low:+.4f}, {high:+.4f}] {why} (margin {margin}): the gate must return "
                          f"{want!r}; yours returned {decision!r}. Rule: promote if low > margin, reject if high < "
                          "margin, otherwise undecided.")
    passed("bootstrap_gate resamples rows in pairs, gives a 95 % percentile interval of the right width, respects "
           "`confidence` and `seed`, and decides promote / reject / undecided correctly in all four test cases.")


# --------------------------------------------------------------------------------------------------
# Task 4: the promotion policy (open)
# --------------------------------------------------------------------------------------------------

_TOPICS = {
    "the margin": ("margin", "point", "gain", "improv", "better"),
    "the confidence level": ("confiden", "interval", "percent", "%", "certain", "false"),
    "the evaluation size": ("row", "evaluat", "sample", "size", "label", "data"),
    "the cost or risk of a release": ("cost", "risk", "release", "canary", "rollback", "review", "incident"),
}


def _z(confidence: float) -> float:
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def check_promotion_policy(policy, justification, *, disagreement: float = 0.15, max_rows: int = 20_000,
                           target_gain: float = 0.02, min_margin: float = 0.005, power: float = 0.80) -> None:
    """Check the open task's gate policy against the stated requirements, and that the justification says why.

    A challenger truly `target_gain` better must be promoted with probability `power`: the gate promotes when the
    interval's low end is above the margin, and that low end scatters around `target_gain - half-width`.
    """
    require_done(policy, "policy")
    require_done(justification, "justification")
    require(isinstance(policy, Mapping), f"`policy` should be a dict with the keys margin, confidence, min_eval_rows "
                                         f"and n_resamples; it is a {type(policy).__name__}.")
    missing = [k for k in ("margin", "confidence", "min_eval_rows", "n_resamples") if k not in policy]
    require(not missing, f"`policy` has no {missing}: give all four of margin, confidence, min_eval_rows, n_resamples.")

    margin = require_number(policy["margin"], "policy['margin']")
    require(not (0.5 <= margin <= 100), f"A margin of {margin:g} looks like accuracy points or a percentage. Give it as a "
                                        "fraction of accuracy: 1 point = 0.01.")
    require(margin >= min_margin, f"A margin of {margin:g} is below the product owner's minimum of {min_margin} "
                                  "(half an accuracy point): a release must be worth its review and canary.")
    require(margin < target_gain, f"With a margin of {margin:g}, a challenger that is truly {target_gain} better could "
                                  "never be promoted. Keep the margin below the gain you want to catch.")

    confidence = require_number(policy["confidence"], "policy['confidence']")
    require(not (1 < confidence <= 100), f"A confidence of {confidence:g} looks like a percentage: write 95 % as 0.95.")
    require(0.90 <= confidence <= 0.995, f"A confidence of {confidence:g} is outside the allowed 0.90-0.995: lower means "
                                         "more wrong promotions, higher means intervals so wide that the gate "
                                         "rarely decides.")

    resamples = require_number(policy["n_resamples"], "policy['n_resamples']")
    require(float(resamples).is_integer() and resamples >= 1000,
            f"n_resamples = {resamples:g}: use a whole number of at least 1,000, or the interval's ends (the tails of "
            "the resampled distribution) are noisy from run to run.")

    rows = require_number(policy["min_eval_rows"], "policy['min_eval_rows']")
    require(float(rows).is_integer() and rows > 0, f"min_eval_rows = {rows:g} should be a positive whole number of rows.")
    require(rows <= max_rows, f"min_eval_rows = {rows:,.0f}, but only {max_rows:,} labelled evaluation rows exist. Lower "
                              "the confidence or raise the margin, within the limits, until it fits.")
    z, z_power = _z(confidence), NormalDist().inv_cdf(power)
    se = math.sqrt(disagreement / rows)                      # standard error of the paired difference
    half_width = z * se
    room = target_gain - margin
    need = math.ceil((z + z_power) ** 2 * disagreement / room ** 2)
    promoted = NormalDist().cdf(room / se - z)               # chance that the low end clears the margin
    require(rows >= need,
            f"At {rows:,.0f} rows and {confidence:.0%} confidence the interval is about ±{half_width:.4f}. "
            f"A challenger that is truly {target_gain} better has its low end at about "
            f"{target_gain - half_width:.4f} on average, so it clears the margin {margin:g} in only about "
            f"{promoted:.0%} of evaluations; the policy asks for {power:.0%}. You need at least {need:,} rows, or a "
            "smaller margin.")

    text = require_prose(justification, "justification", 25, "write 2-4 sentences (at least 25 words), as for a "
                                                              "change review: why this margin, this confidence, this "
                                                              "many rows.")
    covered = [topic for topic, keys in _TOPICS.items() if any(k in text for k in keys)]
    require(len(covered) >= 3, "Your justification should explain at least three of: " + ", ".join(_TOPICS)
            + (f". It covers only {', '.join(covered)}." if covered else ". It covers none of them."))
    passed(f"margin {margin:g}, {confidence:.0%} confidence, {rows:,.0f} rows: interval ±{half_width:.4f}, so a "
           f"challenger truly {target_gain} better is promoted in about {promoted:.0%} of evaluations ({power:.0%} "
           f"power needs at least {need:,} rows); {resamples:,.0f} resamples. Justification covers "
           f"{', '.join(covered)}.")
