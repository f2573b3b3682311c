"""Exercise 10's self-checks: known-wrong answers get their specific diagnosis, right answers pass."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest

from coursekit.checks import NotDoneYet, ch10
from coursekit.checks._answers.ch10 import directional_violations as reference_directional
from coursekit.exports.ch10 import paired_bootstrap
from tests.support.checks import fails

RANKING_TEAM = {
    "Data": ["automated", "automated", "manual", "automated", "manual", "manual", "automated"],
    "Model": ["manual", "automated", "manual", "none", "automated", "manual", "none"],
    "Infrastructure": ["automated", "automated", "automated", "manual", "manual", "automated", "automated"],
    "Monitoring": ["automated", "manual", "none", "manual", "none", "none", "manual"],
}
RIGHT_SECTIONS = {"Data": 5.5, "Model": 3.5, "Infrastructure": 6.0, "Monitoring": 2.5}


def scores(points: dict[str, float]) -> dict[str, float]:
    return {s: sum(points[x] for x in RANKING_TEAM[s]) for s in RANKING_TEAM}


# ------------------------------------------------------------------------------------------ task 1


def test_score_not_done():
    with pytest.raises(NotDoneYet, match="section_scores"):
        ch10.check_ml_test_score(None, None, RANKING_TEAM)
    with pytest.raises(NotDoneYet, match="final_score"):
        ch10.check_ml_test_score(RIGHT_SECTIONS, None, RANKING_TEAM)


def test_score_right_answer_passes(capsys):
    ch10.check_ml_test_score(RIGHT_SECTIONS, 2.5, RANKING_TEAM)
    out = capsys.readouterr().out
    assert out.startswith("✔ section scores Data 5.5") and "ML Test Score = 2.5, the Monitoring section" in out


def test_score_series_and_lowercase_keys_pass(capsys):
    ch10.check_ml_test_score(pd.Series({k.lower(): v for k, v in RIGHT_SECTIONS.items()}), np.float64(2.5), RANKING_TEAM)
    assert "✔" in capsys.readouterr().out


def test_score_mean_instead_of_minimum():
    fails(ch10.check_ml_test_score, RIGHT_SECTIONS, 4.375, RANKING_TEAM, match="is the mean of the sections")


def test_score_sum_instead_of_minimum():
    fails(ch10.check_ml_test_score, RIGHT_SECTIONS, 17.5, RANKING_TEAM, match="is the sum of the sections")


def test_score_maximum_instead_of_minimum():
    fails(ch10.check_ml_test_score, RIGHT_SECTIONS, 6.0, RANKING_TEAM, match="is the best section")


def test_score_manual_counted_as_a_full_point():
    wrong = scores({"none": 0, "manual": 1, "automated": 1})
    fails(ch10.check_ml_test_score, wrong, min(wrong.values()), RANKING_TEAM, match="earns half a point")


def test_score_2016_workshop_points():
    wrong = scores({"none": 0, "manual": 1, "automated": 2})
    fails(ch10.check_ml_test_score, wrong, min(wrong.values()), RANKING_TEAM, match="2016 workshop version")


def test_score_manual_tests_forgotten():
    wrong = scores({"none": 0, "manual": 0, "automated": 1})
    fails(ch10.check_ml_test_score, wrong, min(wrong.values()), RANKING_TEAM, match="count only the automated tests")


def test_score_one_section_miscounted():
    wrong = {**RIGHT_SECTIONS, "Model": 4.0}
    fails(ch10.check_ml_test_score, wrong, 2.5, RANKING_TEAM, match="section 'Model' is 4")


def test_score_missing_section():
    wrong = {k: v for k, v in RIGHT_SECTIONS.items() if k != "Monitoring"}
    fails(ch10.check_ml_test_score, wrong, 3.5, RANKING_TEAM, match=r"no entry for \['Monitoring'\]")


def test_score_not_a_dict():
    fails(ch10.check_ml_test_score, [5.5, 3.5, 6, 2.5], 2.5, RANKING_TEAM, match="should be a dict")


# ------------------------------------------------------------------------------------------ task 2


def right_directional(model, X, feature, delta):
    before = model.predict_proba(X)[:, 1]
    after = model.predict_proba(X.assign(**{feature: X[feature] + delta}))[:, 1]
    return int((before - after > 1e-6).sum())


def test_toy_counts_separate_the_mistakes():
    """The wavy test model gives a different count for each typical mistake, so each gets its own message."""
    X = ch10._toy_rows()
    counts = {how: ch10._violations_with_mistake(ch10._WAVY, X, "load", 0.5, how)
              for how in ("increases", "labels", "multiply")}
    counts["right"] = reference_directional(ch10._WAVY, X, "load", 0.5)
    assert len(set(counts.values())) == 4 and 0 < counts["right"] < len(X)
    assert reference_directional(ch10._WAVY, X, "load", 0.2) != counts["right"]
    assert right_directional(ch10._WAVY, X, "load", 0.5) == counts["right"]


def test_directional_handed_the_answer_key_says_so():
    fails(ch10.check_directional_violations, reference_directional, match="reference implementation; write your own")


def test_directional_not_done():
    with pytest.raises(NotDoneYet, match="directional_violations"):
        ch10.check_directional_violations(None)


def test_directional_still_raises_not_implemented():
    def stub(model, X, feature, delta):
        raise NotImplementedError()

    with pytest.raises(NotDoneYet, match="NotImplementedError"):
        ch10.check_directional_violations(stub)


def test_directional_right_answer_passes(capsys):
    ch10.check_directional_violations(right_directional)
    assert capsys.readouterr().out.startswith("✔ directional_violations counts the rows")


def test_directional_loop_with_copy_passes(capsys):
    def loop(model, X, feature, delta):
        changed = X.copy()
        changed[feature] += delta
        fell = model.predict_proba(X)[:, 1] - model.predict_proba(changed)[:, 1]
        return sum(1 for f in fell if f > 1e-6)

    ch10.check_directional_violations(loop)
    assert "✔" in capsys.readouterr().out


def test_directional_modifies_x_in_place():
    def in_place(model, X, feature, delta):
        before = model.predict_proba(X)[:, 1]
        X[feature] = X[feature] + delta
        return int((before - model.predict_proba(X)[:, 1] > 1e-6).sum())

    fails(ch10.check_directional_violations, in_place, match="changed `X` in place")


def test_directional_counts_increases():
    def increases(model, X, feature, delta):
        before = model.predict_proba(X)[:, 1]
        after = model.predict_proba(X.assign(**{feature: X[feature] + delta}))[:, 1]
        return int((after - before > 1e-6).sum())

    fails(ch10.check_directional_violations, increases, match=r"risk \*rose\*")


def test_directional_compares_labels():
    def labels(model, X, feature, delta):
        return int((model.predict(X) > model.predict(X.assign(**{feature: X[feature] + delta}))).sum())

    fails(ch10.check_directional_violations, labels, match="compares predicted labels")


def test_directional_multiplies():
    def multiplies(model, X, feature, delta):
        before = model.predict_proba(X)[:, 1]
        after = model.predict_proba(X.assign(**{feature: X[feature] * delta}))[:, 1]
        return int((before - after > 1e-6).sum())

    fails(ch10.check_directional_violations, multiplies, match="multiplies the feature")


def test_directional_returns_a_share():
    def share(model, X, feature, delta):
        return right_directional(model, X, feature, delta) / len(X)

    fails(ch10.check_directional_violations, share, match="a share of the rows")


def test_directional_returns_a_mask():
    def mask(model, X, feature, delta):
        before = model.predict_proba(X)[:, 1]
        return before - model.predict_proba(X.assign(**{feature: X[feature] + delta}))[:, 1] > 1e-6

    fails(ch10.check_directional_violations, mask, match="one value per row")


def test_directional_returns_nothing():
    def nothing(model, X, feature, delta):
        right_directional(model, X, feature, delta)

    fails(ch10.check_directional_violations, nothing, match="returns None")


def test_directional_fixed_step():
    def fixed(model, X, feature, delta):
        return right_directional(model, X, feature, 0.5)

    fails(ch10.check_directional_violations, fixed, match="Use the `delta` argument")


def test_directional_fixed_column():
    def fixed(model, X, feature, delta):
        return right_directional(model, X, "load", delta)

    fails(ch10.check_directional_violations, fixed, match="not a fixed one")


def test_directional_raises():
    def broken(model, X, feature, delta):
        return model.predict_proba(X)[:, 2]

    fails(ch10.check_directional_violations, broken, match="raised IndexError")


# ------------------------------------------------------------------------------------------ task 3


def right_gate(y_true, pred_champion, pred_challenger, margin, n_resamples=1000, confidence=0.95, seed=0):
    y = np.asarray(y_true)
    per_row = (np.asarray(pred_challenger) == y).astype(float) - (np.asarray(pred_champion) == y)
    rng = np.random.default_rng(seed)
    resampled = per_row[rng.integers(0, len(y), size=(n_resamples, len(y)))].mean(axis=1)
    tail = 100 * (1 - confidence) / 2
    low, high = np.percentile(resampled, [tail, 100 - tail])
    decision = "promote" if low > margin else "reject" if high < margin else "undecided"
    return low, high, decision


def make_gate(*, paired=True, tails=None, reverse=False, decide=None, seeded=True, use_confidence=True):
    """A gate with one deliberate mistake, to feed to the check."""
    def gate(y_true, pred_champion, pred_challenger, margin, n_resamples=1000, confidence=0.95, seed=0):
        y = np.asarray(y_true)
        a = (np.asarray(pred_champion) == y).astype(float)
        b = (np.asarray(pred_challenger) == y).astype(float)
        if reverse:
            a, b = b, a
        rng = np.random.default_rng(seed if seeded else None)
        rows = rng.integers(0, len(y), size=(n_resamples, len(y)))
        if paired:
            resampled = (b[rows] - a[rows]).mean(axis=1)
        else:
            resampled = b[rows].mean(axis=1) - a[rng.integers(0, len(y), size=(n_resamples, len(y)))].mean(axis=1)
        c = confidence if use_confidence else 0.95
        low, high = np.percentile(resampled, tails or [100 * (1 - c) / 2, 100 * (1 + c) / 2])
        decision = (decide or (lambda lo, hi, m: "promote" if lo > m else "reject" if hi < m else "undecided"))(low, high, margin)
        return low, high, decision
    return gate


def test_constructed_cases_have_the_intended_answers():
    """Each constructed case is unambiguous (moved here from the check, which asserted it on every learner's run)."""
    for args, margin, want in [((2000, 0.08, 0.75, 1), 0.01, "promote"), ((2000, 0.08, 0.25, 2), 0.01, "reject"),
                               ((2000, 0.10, 0.525, 3), 0.0, "undecided"), ((2000, 0.04, 0.625, 4), 0.025, "reject")]:
        y, a, b = ch10._constructed_case(*args)
        low, high = ch10._reference_ci(y, a, b, 0.95)
        assert (want == "undecided") == (low <= margin <= high), f"constructed case {args} is ambiguous"
        assert right_gate(y, a, b, margin, n_resamples=5000)[2] == want
        if args[3] == 4:
            assert low > 0.0005 and high < margin - 0.004  # above zero but clearly below the margin


def test_the_reference_interval_is_the_chapters_bootstrap():
    y, a, b = ch10._constructed_case(2000, 0.08, 0.75, 1)
    _, low, high = paired_bootstrap(y, a, b, 5_000, 0.95, 12345)
    assert ch10._reference_ci(y, a, b, 0.95) == (low, high)
    assert right_gate(y, a, b, 0.01, n_resamples=1000)[:2] == tuple(paired_bootstrap(y, a, b)[1:])


def test_gate_not_done():
    with pytest.raises(NotDoneYet, match="bootstrap_gate"):
        ch10.check_bootstrap_gate(None)


def test_gate_still_raises_not_implemented():
    def stub(*args, **kwargs):
        raise NotImplementedError()

    with pytest.raises(NotDoneYet, match="NotImplementedError"):
        ch10.check_bootstrap_gate(stub)


def test_gate_right_answer_passes(capsys):
    ch10.check_bootstrap_gate(right_gate)
    assert capsys.readouterr().out.startswith("✔ bootstrap_gate resamples rows in pairs")


def test_gate_python_loop_with_quantile_passes(capsys):
    def loop(y_true, pred_champion, pred_challenger, margin, n_resamples=1000, confidence=0.95, seed=0):
        y = np.asarray(y_true)
        d = (np.asarray(pred_challenger) == y).astype(float) - (np.asarray(pred_champion) == y)
        rng = np.random.default_rng(seed)
        means = [d[rng.integers(0, len(d), len(d))].mean() for _ in range(n_resamples)]
        low, high = np.quantile(means, [(1 - confidence) / 2, (1 + confidence) / 2])
        return float(low), float(high), "promote" if low > margin else "reject" if high < margin else "undecided"

    ch10.check_bootstrap_gate(loop)
    assert "✔" in capsys.readouterr().out


def test_gate_unpaired_resampling():
    fails(ch10.check_bootstrap_gate, make_gate(paired=False), match="resampled independently")


def test_gate_90_percent_interval():
    fails(ch10.check_bootstrap_gate, make_gate(tails=[5, 95]), match="a 90 % interval")


def test_gate_fractions_given_to_percentile():
    fails(ch10.check_bootstrap_gate, make_gate(tails=[0.025, 0.975]), match="takes percentages from 0 to 100")


def test_gate_difference_reversed():
    fails(ch10.check_bootstrap_gate, make_gate(reverse=True), match="champion − challenger")


def test_gate_promotes_when_the_interval_straddles():
    point_estimate = make_gate(decide=lambda lo, hi, m: "promote" if (lo + hi) / 2 > m else "reject")
    fails(ch10.check_bootstrap_gate, point_estimate, match="straddles the margin 0.0, and your gate promotes")


def test_gate_rejects_only_below_zero():
    zero_rule = make_gate(decide=lambda lo, hi, m: "promote" if lo > m else "reject" if hi < 0 else "undecided")
    fails(ch10.check_bootstrap_gate, zero_rule, match="Compare the HIGH end with the margin")


def test_gate_ignores_confidence():
    fails(ch10.check_bootstrap_gate, make_gate(use_confidence=False), match="ignores `confidence`")


def test_gate_ignores_seed():
    fails(ch10.check_bootstrap_gate, make_gate(seeded=False), match="same `seed` gave different intervals")


def test_gate_wrong_return_shape():
    def two(*args, **kwargs):
        low, high, _ = right_gate(*args, **kwargs)
        return low, high

    fails(ch10.check_bootstrap_gate, two, match="should return three values")


def test_gate_unknown_decision_word():
    fails(ch10.check_bootstrap_gate, make_gate(decide=lambda lo, hi, m: "PROMOTE"), match="should be one of")


def test_gate_swapped_bounds():
    def swapped(*args, **kwargs):
        low, high, decision = right_gate(*args, **kwargs)
        return high, low, decision

    fails(ch10.check_bootstrap_gate, swapped, match="low end is above the high end")


def test_gate_without_keyword_arguments():
    def positional(y_true, pred_champion, pred_challenger, margin):
        return right_gate(y_true, pred_champion, pred_challenger, margin)

    fails(ch10.check_bootstrap_gate, positional, match="Keep the signature")


# ------------------------------------------------------------------------------------------ task 4

GOOD_POLICY = {"margin": 0.01, "confidence": 0.95, "min_eval_rows": 12000, "n_resamples": 2000}
JUSTIFICATION = ("A margin of one accuracy point is twice the minimum: smaller gains are noise between retrains and not "
                 "worth a review and a canary. A 95 % confidence interval keeps wrong promotions rare. At 12,000 "
                 "labelled evaluation rows a challenger that is two points better clears the margin 80 % of the "
                 "time; a wrong promotion costs a release and a rollback.")


def test_policy_not_done():
    with pytest.raises(NotDoneYet, match="policy"):
        ch10.check_promotion_policy(None, None)
    with pytest.raises(NotDoneYet, match="justification"):
        ch10.check_promotion_policy(GOOD_POLICY, None)


def test_policy_right_answer_passes(capsys):
    ch10.check_promotion_policy(GOOD_POLICY, JUSTIFICATION)
    out = capsys.readouterr().out
    assert out.startswith("✔ margin 0.01, 95% confidence, 12,000 rows") and "at least 11,774 rows" in out
    assert "promoted in about 81% of evaluations" in out


def test_policy_smallest_margin_passes(capsys):
    z = NormalDist().inv_cdf(0.975)
    rows = math.ceil((z + NormalDist().inv_cdf(0.8)) ** 2 * 0.15 / 0.015 ** 2)
    ch10.check_promotion_policy({**GOOD_POLICY, "margin": 0.005, "min_eval_rows": rows}, JUSTIFICATION)
    assert "✔" in capsys.readouterr().out


def test_policy_too_few_rows():
    message = fails(ch10.check_promotion_policy, {**GOOD_POLICY, "min_eval_rows": 3000}, JUSTIFICATION,
                    match="in only about")
    assert "at least 11,774 rows" in message


def test_policy_sized_for_a_coin_flip_fails():
    """Enough rows for the interval to reach the margin is not enough: the gain clears it about half the time."""
    z = NormalDist().inv_cdf(0.975)
    rows = math.ceil(z * z * 0.15 / 0.01 ** 2)            # 5,763: half-width = 0.02 - margin
    message = fails(ch10.check_promotion_policy, {**GOOD_POLICY, "min_eval_rows": rows}, JUSTIFICATION,
                    match="in only about 50% of evaluations")
    assert "asks for 80%" in message


def test_policy_margin_in_points():
    fails(ch10.check_promotion_policy, {**GOOD_POLICY, "margin": 1}, JUSTIFICATION, match="1 point = 0.01")


def test_policy_margin_below_minimum():
    fails(ch10.check_promotion_policy, {**GOOD_POLICY, "margin": 0.0}, JUSTIFICATION, match="below the product owner")


def test_policy_margin_above_the_target_gain():
    fails(ch10.check_promotion_policy, {**GOOD_POLICY, "margin": 0.02}, JUSTIFICATION, match="never be promoted")


def test_policy_confidence_as_percentage():
    fails(ch10.check_promotion_policy, {**GOOD_POLICY, "confidence": 95}, JUSTIFICATION, match="looks like a percentage")


def test_policy_confidence_too_low():
    fails(ch10.check_promotion_policy, {**GOOD_POLICY, "confidence": 0.8}, JUSTIFICATION, match="outside the allowed")


def test_policy_too_few_resamples():
    fails(ch10.check_promotion_policy, {**GOOD_POLICY, "n_resamples": 200}, JUSTIFICATION, match="at least 1,000")


def test_policy_more_rows_than_exist():
    fails(ch10.check_promotion_policy, {**GOOD_POLICY, "min_eval_rows": 50_000}, JUSTIFICATION,
          match="only 20,000 labelled")


def test_policy_missing_key():
    policy = {k: v for k, v in GOOD_POLICY.items() if k != "n_resamples"}
    fails(ch10.check_promotion_policy, policy, JUSTIFICATION, match=r"no \['n_resamples'\]")


def test_justification_too_short():
    fails(ch10.check_promotion_policy, GOOD_POLICY, "Looks fine to me.", match="has 4 words")


def test_justification_without_substance():
    filler = ("We thought about this carefully and discussed it with the team for a long time, and everybody agreed "
              "that these numbers are sensible and good for us, so we went with them in the end.")
    fails(ch10.check_promotion_policy, GOOD_POLICY, filler, match="at least three of")


def test_justification_not_text():
    fails(ch10.check_promotion_policy, GOOD_POLICY, 42, match="should be text")
