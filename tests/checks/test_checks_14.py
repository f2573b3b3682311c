"""Exercise 14's self-checks: known-wrong answers get their specific diagnosis, right answers pass."""

from __future__ import annotations

import numpy as np
import pytest

from coursekit.checks import NotDoneYet, ch14
from coursekit.checks._answers.ch14 import gate_decision, psi_from_scrapes
from tests.support.checks import fails


def test_the_answer_keys_are_not_in_the_learners_namespace():
    for name in ("psi_from_scrapes", "gate_decision", "paired_interval", "psi_from_shares"):
        assert not hasattr(ch14, name), f"ch14.{name} hands the learner an answer"


# ------------------------------------------------------------------------------------------ task 1: PSI from scrapes


def make_psi(*, order="numeric", subtract=True, difference=True, normalise="sum", log=np.log, use_eps=True,
             drop_inf=False, sign=1.0, validate=True, error=ValueError):
    """A learner's psi_from_scrapes with the given mistakes."""

    def psi_from_scrapes(reference_shares, start, end, eps=1e-4):
        if validate:
            if set(start) != set(end) or len(reference_shares) != len(end):
                raise error("buckets differ")
        edges = {"numeric": sorted(end, key=float), "text": sorted(end), "dict": list(end)}[order]
        values = np.array([end[le] - (start[le] if subtract else 0) for le in edges], dtype=float)
        if validate and (values < 0).any():
            raise error("counter reset")
        counts = np.diff(values, prepend=0.0) if difference else values
        if validate and counts.sum() <= 0:
            raise error("nothing observed")
        reference = np.asarray(reference_shares, dtype=float)
        if drop_inf:
            counts, reference = counts[:-1], reference[:-1]
        shares = {"sum": counts / max(counts.sum(), 1e-12), "last": counts / max(values[-1], 1e-12), "none": counts}[normalise]
        e, a = (np.maximum(reference, eps), np.maximum(shares, eps)) if use_eps else (reference, shares)
        with np.errstate(divide="ignore", invalid="ignore"):
            return float(sign * np.sum((a - e) * log(a / e)))

    return psi_from_scrapes


def test_psi_not_done():
    with pytest.raises(NotDoneYet, match="psi_from_scrapes"):
        ch14.check_psi_from_scrapes(None)


def test_psi_still_raising_not_implemented_is_not_done():
    def stub(reference_shares, start, end, eps=1e-4):
        raise NotImplementedError
    with pytest.raises(NotDoneYet, match="NotImplementedError"):
        ch14.check_psi_from_scrapes(stub)


def test_psi_learner_style_passes(capsys):
    ch14.check_psi_from_scrapes(make_psi())
    assert capsys.readouterr().out.count("✔") == 1


def test_psi_handed_the_answer_key_says_so():
    fails(ch14.check_psi_from_scrapes, psi_from_scrapes, match="the course's reference implementation; write your own")


def test_psi_example_is_a_drift():
    reference, start, end = ch14.example_scrapes()
    assert list(start) != sorted(start, key=float) and list(end) != sorted(end, key=float), "the data must be unsorted"
    assert psi_from_scrapes(reference, start, end) > 0.25
    assert make_psi()(reference, start, end) == psi_from_scrapes(reference, start, end)


@pytest.mark.parametrize("mistake, match", [
    (dict(subtract=False), "used the end scrape alone"),
    (dict(difference=False), "treated the cumulative buckets as counts"),
    (dict(difference=False, normalise="last"), "divided the cumulative buckets by the total"),
    (dict(order="text"), "sorted the bucket edges as text"),
    (dict(order="dict"), "in the dict's order"),
    (dict(normalise="none"), "counts instead of shares"),
    (dict(log=np.log10), "log10"),
    (dict(log=np.log2), "log2"),
    (dict(use_eps=False), "without epsilon"),
    (dict(drop_inf=True), r"left out the \+Inf bucket"),
    (dict(sign=-1.0), "never negative"),
])
def test_psi_mistakes_are_diagnosed(mistake, match):
    fails(ch14.check_psi_from_scrapes, make_psi(**mistake), match=match)


def test_psi_without_input_validation_is_caught():
    fails(ch14.check_psi_from_scrapes, make_psi(validate=False), match="counter reset")


def test_psi_wrong_exception_type_is_caught():
    fails(ch14.check_psi_from_scrapes, make_psi(error=RuntimeError), match="Raise ValueError")


def test_psi_returning_an_array_is_caught():
    def per_bucket(reference_shares, start, end, eps=1e-4):
        return np.ones(7)
    fails(ch14.check_psi_from_scrapes, per_bucket, match="returned 7 values")


def test_psi_wrong_signature_is_caught():
    def no_eps(reference_shares, start, end):
        return 0.0
    fails(ch14.check_psi_from_scrapes, no_eps, match="Keep the signature")


# ------------------------------------------------------------------------------------------ task 2: the gate


def make_gate(*, min_rows_rule=True, guardrail=True, rule="interval", reversed_diff=False, paired=True,
              use_confidence=True, returns="decision"):
    """A learner's gate_decision with the given mistakes."""

    def recall(y, pred):
        return ((pred == 1) & (y == 1)).sum() / (y == 1).sum()

    def gate_decision(y_true, pred_champion, pred_challenger, *, margin, max_recall_drop, min_rows,
                      n_resamples=1000, confidence=0.95, seed=0):
        y, a, b = map(np.asarray, (y_true, pred_champion, pred_challenger))
        if reversed_diff:
            a, b = b, a
        if min_rows_rule and len(y) < min_rows:
            return "undecided"
        if guardrail and recall(y, b) - recall(y, a) < -max_recall_drop:
            return "reject"
        rng = np.random.default_rng(seed)
        if paired:
            per_row = (b == y).astype(float) - (a == y)
            gains = per_row[rng.integers(0, len(y), size=(n_resamples, len(y)))].mean(axis=1)
        else:
            gains = ((b == y)[rng.integers(0, len(y), size=(n_resamples, len(y)))].mean(axis=1)
                     - (a == y)[rng.integers(0, len(y), size=(n_resamples, len(y)))].mean(axis=1))
        c = confidence if use_confidence else 0.95
        low, high = np.percentile(gains, [100 * (1 - c) / 2, 100 * (1 + c) / 2])
        point = float(np.mean(b == y) - np.mean(a == y))
        if rule == "point":
            decision = "promote" if point > margin else "reject"
        elif rule == "no reject":
            decision = "promote" if low > margin else "undecided"
        elif rule == "zero":
            decision = "promote" if low > 0 else ("reject" if high < 0 else "undecided")
        else:
            decision = "promote" if low > margin else ("reject" if high < margin else "undecided")
        if returns == "tuple":
            return low, high, decision
        if returns == "title":
            return decision.title()
        return decision

    return gate_decision


def test_gate_not_done():
    with pytest.raises(NotDoneYet, match="gate_decision"):
        ch14.check_gate_decision(None)


def test_gate_learner_style_passes(capsys):
    ch14.check_gate_decision(make_gate())
    assert capsys.readouterr().out.count("✔") == 1


def test_gate_handed_the_answer_key_says_so():
    fails(ch14.check_gate_decision, gate_decision, match="the course's reference implementation; write your own")


def test_gate_example_promotes():
    y, champion, challenger = ch14.example_evaluation()
    assert gate_decision(y, champion, challenger, margin=0.01, max_recall_drop=0.02, min_rows=1000) == "promote"
    assert make_gate()(y, champion, challenger, margin=0.01, max_recall_drop=0.02, min_rows=1000) == "promote"


def test_the_unpaired_interval_straddles_the_margin_on_the_clear_win():
    """Paired, not unpaired, is what the clear win tells apart (moved here from the check, which asserted it on
    every learner's run)."""
    y, champion, challenger = ch14.constructed_evaluation(*ch14._GATE_CASES["clear win"][0])
    assert ch14._unpaired(y, champion, challenger)[0] < ch14._RULE["margin"], "the unpaired case is not discriminating"


def test_the_reference_gate_decides_each_case_as_with_20000_resamples():
    """The checks' reference uses 5,000 resamples (memory); its decisions must not depend on that."""
    for case, rule, extra, _ in ch14._GATE_CASES.values():
        y, champion, challenger = ch14.constructed_evaluation(*case)
        kwargs = {**ch14._RULE, **rule, **extra, "seed": 12345}
        assert (gate_decision(y, champion, challenger, **kwargs, n_resamples=ch14.REFERENCE_RESAMPLES)
                == gate_decision(y, champion, challenger, **kwargs, n_resamples=20_000))


@pytest.mark.parametrize("mistake, match", [
    (dict(min_rows_rule=False), "at least min_rows labelled rows"),
    (dict(guardrail=False), "recall guardrail"),
    (dict(rule="point"), "Promote only when the LOW end is above the margin"),
    (dict(rule="zero"), "not above zero"),
    (dict(rule="no reject"), r"reject when high < margin"),
    (dict(reversed_diff=True), "direction of your differences"),
    (dict(paired=False), "resampled independently"),
    (dict(use_confidence=False), "ignore `confidence`"),
    (dict(returns="tuple"), "return only the decision"),
    (dict(returns="title"), "lower case"),
])
def test_gate_mistakes_are_diagnosed(mistake, match):
    fails(ch14.check_gate_decision, make_gate(**mistake), match=match)


def test_gate_positional_only_signature_is_caught():
    def gate(y, a, b, margin, max_recall_drop, min_rows):
        return "promote"
    fails(ch14.check_gate_decision, gate, match="Keep the signature")


# ------------------------------------------------------------------------------------------ tasks 3-4: promote, rollback


def promote_right(client, service, name, version):
    version = str(version)
    previous = client.get_model_version_by_alias(name, "champion").version
    client.set_registered_model_tag(name, "previous_champion", previous)
    client.set_registered_model_alias(name, "champion", version)
    if client.get_registered_model(name).aliases.get("challenger") == version:
        client.delete_registered_model_alias(name, "challenger")
    service.reload()
    served = service.serving_version()
    if served != version:
        raise RuntimeError(f"the service serves {served}, not {version}")
    return served


def rollback_right(client, service, name, reason):
    bad = client.get_model_version_by_alias(name, "champion").version
    good = client.get_registered_model(name).tags["previous_champion"]
    client.set_registered_model_alias(name, "champion", good)
    client.set_model_version_tag(name, bad, "rolled_back", reason)
    service.reload()
    if service.serving_version() != good:
        raise RuntimeError("rollback did not take")
    return service.serving_version()


def test_toy_registry_speaks_mlflow_client():
    registry = ch14.ToyRegistry.before_promotion()
    assert registry.get_model_version_by_alias("oom-risk", "champion").version == "1"
    assert registry.get_registered_model("oom-risk").aliases == {"champion": "1", "challenger": "3"}
    with pytest.raises(ch14.ToyRegistryError, match="alias nope not found"):
        registry.get_model_version_by_alias("oom-risk", "nope")
    with pytest.raises(AttributeError, match="implements only"):
        registry.create_model_version("oom-risk", "source")


def test_promote_and_rollback_not_done():
    with pytest.raises(NotDoneYet, match="promote"):
        ch14.check_promote(None)
    with pytest.raises(NotDoneYet, match="rollback"):
        ch14.check_rollback(None)


def test_promote_and_rollback_right_answers_pass(capsys):
    ch14.check_promote(promote_right)
    ch14.check_rollback(rollback_right)
    out = capsys.readouterr().out
    assert out.count("✔") == 2
    assert "set_registered_model_tag('oom-risk', 'previous_champion', '1'); set_registered_model_alias('oom-risk', 'champion', '3')" in out


def promote_variant(*, record=True, record_after=False, delete_challenger=True, reload=True, reload_first=False,
                    verify=True, alias="champion", stage=False, delete_old=False, returns="served"):
    def promote(client, service, name, version):
        if reload_first:
            service.reload()
        if stage:
            client.transition_model_version_stage(name, version, "Production")
            return version
        previous = client.get_model_version_by_alias(name, "champion").version
        if record and not record_after:
            client.set_registered_model_tag(name, "previous_champion", previous)
        client.set_registered_model_alias(name, alias, version)
        if record_after:
            client.set_registered_model_tag(name, "previous_champion",
                                            client.get_model_version_by_alias(name, "champion").version)
        if delete_challenger:
            client.delete_registered_model_alias(name, "challenger")
        if delete_old:
            client.delete_model_version(name, previous)
        if reload and not reload_first:
            service.reload()
        if verify and service.serving_version() != str(version):
            raise RuntimeError("not serving")
        return service.serving_version() if returns == "served" else None
    return promote


@pytest.mark.parametrize("mistake, match", [
    (dict(record=False), "did not record the previous champion"),
    (dict(record_after=True), "the NEW champion"),
    (dict(delete_challenger=False), "Delete the challenger alias"),
    (dict(reload=False), r"never called `service.reload\(\)`"),
    (dict(reload_first=True, verify=False), "reloads the service before it moves"),
    (dict(verify=False), "reload did not take"),
    (dict(alias="Champion"), "Alias names are exact"),
    (dict(alias="challenger"), "never moved `champion`"),
    (dict(stage=True), "Stages are deprecated"),
    (dict(delete_old=True), "Never delete a version"),
    (dict(returns=None), "return the version the service reports"),
])
def test_promote_mistakes_are_diagnosed(mistake, match):
    fails(ch14.check_promote, promote_variant(**mistake), match=match)


def rollback_variant(*, target="recorded", tag=True, reload=True, verify=True, delete=False, double=False):
    def rollback(client, service, name, reason):
        bad = client.get_model_version_by_alias(name, "champion").version
        good = client.get_registered_model(name).tags["previous_champion"] if target == "recorded" else str(int(bad) - 1)
        if double:
            client.set_registered_model_alias(name, "champion", str(int(bad) - 1))
        client.set_registered_model_alias(name, "champion", good)
        if tag:
            client.set_model_version_tag(name, bad, "rolled_back", reason)
        if delete:
            client.delete_model_version(name, bad)
        if reload:
            service.reload()
        if verify and service.serving_version() != good:
            raise RuntimeError("not serving")
        return service.serving_version()
    return rollback


@pytest.mark.parametrize("mistake, match", [
    (dict(target="minus one"), "version 2 never served"),
    (dict(tag=False), "did not tag the demoted version 3"),
    (dict(reload=False), r"never called `service.reload\(\)`"),
    (dict(verify=False), "reload did not take"),
    (dict(delete=True), "Never delete a version"),
    (dict(double=True), "moved champion 2 times"),
])
def test_rollback_mistakes_are_diagnosed(mistake, match):
    fails(ch14.check_rollback, rollback_variant(**mistake), match=match)


def test_promote_that_crashes_reports_the_error():
    def promote(client, service, name, version):
        return client.get_model_version_by_alias(name, "prod").version
    fails(ch14.check_promote, promote, match="alias prod not found")
