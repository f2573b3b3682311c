"""Self-checks for exercise 14, *Capstone: the whole loop, end to end*.

The exercise's world (two scrapes of a histogram, an evaluation set, a toy registry and a toy service) is
:mod:`coursekit.worlds.ch14`, re-exported here. The checks:

- :func:`check_psi_from_scrapes` runs the learner's PSI-from-scrapes on scrapes whose right answer is known and
  diagnoses the usual mistakes: no subtraction of the start scrape, cumulative buckets used as counts, bucket edges
  sorted as text or left in the dict's order, counts instead of shares, log10/log2, no epsilon, a dropped ``+Inf``
  bucket, and bad input (a counter reset, nothing observed, buckets that differ) that must raise ``ValueError``.
- :func:`check_gate_decision` runs the learner's gate on constructed evaluation sets whose right decision is known
  and diagnoses ignoring the minimum sample or the guardrail, promoting on the point estimate, comparing with zero
  instead of the margin, a reversed difference, unpaired resampling and an ignored ``confidence``.
- :func:`check_promote` and :func:`check_rollback` run the learner's ``promote`` and ``rollback`` against the toy
  registry and service and diagnose the order of the steps (record the previous champion before the move, reload
  after it, verify last), stages, deleted versions, alias typos, rolling back to "version minus one", and not
  noticing a reload that did not take.

The reference implementations are private (:mod:`coursekit.checks._answers.ch14`), built on chapter 09's PSI and
chapter 10's paired bootstrap (:mod:`coursekit.exports`).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from coursekit.checks import (
    CheckFailed,
    NotDoneYet,
    call_learner,
    diagnose,
    passed,
    require,
    require_function,
    require_number,
    require_raises,
    within,
)
from coursekit.exports.ch10 import paired_bootstrap
from coursekit.worlds.ch14 import (
    REFERENCE_SHARES,
    ToyRegistry,
    ToyRegistryError,
    ToyService,
    constructed_evaluation,
    example_evaluation,
    example_scrapes,
    scrape,
)

__all__ = [
    "check_psi_from_scrapes", "example_scrapes",
    "check_gate_decision", "example_evaluation",
    "ToyRegistry", "ToyService", "ToyRegistryError", "check_promote", "check_rollback",
]

REFERENCE_RESAMPLES = 5_000   # the reference gate's resamples: its decisions are the same as with 20,000
PSI_MATCH = within(rel=1e-3, abs=1e-6)


# --------------------------------------------------------------------------------------------------
# Task 1: PSI from two scrapes of a Prometheus histogram
# --------------------------------------------------------------------------------------------------

def _cases() -> dict[str, tuple[list[float], dict, dict]]:
    base = np.array([300, 420, 610, 590, 450, 300, 330])
    return {
        "a shifted week": (REFERENCE_SHARES, scrape(base, [1, 4, 6, 0, 3, 5, 2]),
                           scrape(base + np.array([10, 20, 45, 90, 130, 110, 95]), [4, 0, 5, 2, 6, 1, 3])),
        "a week with an empty bucket": (REFERENCE_SHARES, scrape(base, [5, 3, 1, 6, 0, 2, 4]),
                                        scrape(base + np.array([0, 12, 40, 80, 95, 70, 60]), [0, 6, 3, 1, 4, 2, 5])),
        "a week like the reference": (REFERENCE_SHARES, scrape(base, [6, 2, 0, 4, 1, 5, 3]),
                                      scrape(base + np.array([48, 75, 102, 96, 78, 49, 52]), [2, 5, 1, 6, 3, 0, 4])),
    }


def _psi_with_mistake(reference, start, end, *, order: str = "numeric", subtract: bool = True,
                      difference: bool = True, normalise: str = "sum", log=np.log, eps: float | None = 1e-4,
                      drop_inf: bool = False) -> float:
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


def _learner_psi(fn: Callable, reference, start, end, what: str) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        value = call_learner(fn, list(reference), dict(start), dict(end), eps=1e-4, name="psi_from_scrapes",
                             where=f"on {what}", signature="psi_from_scrapes(reference_shares, start, end, eps=1e-4)")
    if np.ndim(value) > 0:
        raise CheckFailed(f"On {what}, psi_from_scrapes returned {np.size(value)} values: return one number, the sum "
                          "of the per-bucket terms.")
    return require_number(value, f"psi_from_scrapes(...) on {what}")


def check_psi_from_scrapes(fn: Any) -> None:
    """The learner's ``psi_from_scrapes`` matches the reference on three weeks and rejects bad scrapes."""
    from coursekit.checks._answers.ch14 import psi_from_scrapes

    require_function(fn, "psi_from_scrapes", reference=psi_from_scrapes)
    for what, (reference, start, end) in _cases().items():
        value = _learner_psi(fn, reference, start, end, what)
        right = psi_from_scrapes(reference, start, end)
        if PSI_MATCH(value, right):
            continue
        diagnose(value, what, right, [(_psi_with_mistake(reference, start, end, **options), message)
                                      for options, message in _SCRAPE_MISTAKES],
                 close=PSI_MATCH, template="On {name}, your PSI is {value:.4f} instead of {right:.4f}: {message}")
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
        require_raises(fn, list(args[0]), dict(args[1]), dict(args[2]), eps=1e-4, name="psi_from_scrapes", given=what,
                       wrong_kind=f"Raise ValueError with a message that says what is wrong ({why}), so a monitoring "
                                  "job fails clearly.",
                       returned=f": {why}. A drift score computed from that must not look like a number.")
    passed("psi_from_scrapes sorts the buckets as numbers, takes the increase between the scrapes, undoes the "
           "cumulative `le` counting, and matches the reference on all three weeks; it rejects counter resets, empty "
           "windows and mismatched buckets.")


# --------------------------------------------------------------------------------------------------
# Task 2: the gate decision
# --------------------------------------------------------------------------------------------------

DECISIONS = ("promote", "reject", "undecided")
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
    y, champion, challenger = constructed_evaluation(*case)
    kwargs = {**_RULE, **rule, "n_resamples": n_resamples, "seed": 0, **extra}
    result = call_learner(fn, y, champion, challenger, **kwargs, name="gate_decision",
                          where=f"with the keyword arguments {sorted(kwargs)}",
                          signature="gate_decision(y_true, pred_champion, pred_challenger, *, margin, max_recall_drop, "
                                    "min_rows, n_resamples=1000, confidence=0.95, seed=0)")
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


# What the gate got wrong on each case, when it did: {low}, {high} are the paired interval, {margin} the margin,
# {gain} the accuracy gain. "clear win" judged "undecided" is the unpaired interval (handled in the check).
_GATE_MISTAKES = {
    "too few rows": "The rule needs at least min_rows labelled rows: with fewer, the answer is 'undecided' whatever "
                    "the interval says (check len(y_true) first).",
    "recall falls": "The recall guardrail: if the challenger's recall is more than max_recall_drop below the "
                    "champion's, reject, however good its accuracy (recall = true positives / actual positives, "
                    "challenger minus champion).",
    "straddles": "The interval [{low:+.4f}, {high:+.4f}] contains the margin {margin}: the data cannot tell whether "
                 "the gain is worth a release. Promote only when the LOW end is above the margin: not above zero, and "
                 "not on the point estimate or the high end.",
    "below margin": "The interval [{low:+.4f}, {high:+.4f}] lies above zero but below the margin {margin}: "
                    "confidently better, by less than a release is worth. Compare both ends with the margin (reject "
                    "when high < margin), not with zero.",
    "clear win": "The accuracy gain is {gain:+.3f}, interval [{low:+.4f}, {high:+.4f}]. Check the direction of your "
                 "differences: challenger − champion, for accuracy and for recall, so that a positive gain means the "
                 "challenger is better.",
    "clear loss": "The accuracy gain is {gain:+.3f}, interval [{low:+.4f}, {high:+.4f}]. Check the direction of your "
                  "differences: challenger − champion, for accuracy and for recall, so that a positive gain means the "
                  "challenger is better.",
    "lower confidence": "At confidence 0.80 the interval is [{low:+.4f}, {high:+.4f}], above the margin; your gate "
                        "seems to ignore `confidence`. Take the percentiles 100·(1−c)/2 and 100·(1+c)/2 of the "
                        "resampled gains.",
}


def check_gate_decision(fn: Any) -> None:
    """Run the learner's gate on seven constructed evaluation sets whose right decision is known."""
    from coursekit.checks._answers.ch14 import gate_decision

    require_function(fn, "gate_decision", reference=gate_decision)
    for name, (case, rule, extra, what) in _GATE_CASES.items():
        got, (y, champion, challenger), kwargs = _gate_call(fn, case, rule, extra)
        want = gate_decision(y, champion, challenger, **{**kwargs, "n_resamples": REFERENCE_RESAMPLES, "seed": 12345})
        if got == want:
            continue
        margin, gain = kwargs["margin"], float(np.mean(challenger == y) - np.mean(champion == y))
        _, low, high = paired_bootstrap(y, champion, challenger, REFERENCE_RESAMPLES, kwargs.get("confidence", 0.95),
                                        12345)
        told = f"For {what}, your gate says {got!r}; it should say {want!r}."
        if name == "clear win" and got == "undecided":
            u_low, u_high = _unpaired(y, champion, challenger)
            raise CheckFailed(f"{told} Its paired 95 % interval is [{low:+.4f}, {high:+.4f}], above the margin. If the two "
                              "models' rows are resampled independently, the interval widens to about "
                              f"[{u_low:+.4f}, {u_high:+.4f}] and straddles the margin: draw ONE set of row indices per "
                              "resample and score both models on those same rows (paired).")
        raise CheckFailed(f"{told} {_GATE_MISTAKES[name].format(low=low, high=high, margin=margin, gain=gain)}")
    passed("gate_decision applies the minimum sample, the recall guardrail and the paired interval against the margin "
           "correctly on all seven constructed cases (win, recall drop, too few rows, straddle, below the margin, "
           "loss, lower confidence).")


# --------------------------------------------------------------------------------------------------
# Tasks 3 and 4: promotion and rollback against the toy registry and the toy service
# --------------------------------------------------------------------------------------------------

def _run_plan(fn: Callable, name: str, registry: ToyRegistry, service: ToyService, args: tuple, label: str):
    return call_learner(fn, registry, service, name, *args, name=label, signature=f"{label}(client, service, name, "
                        f"{'version' if label == 'promote' else 'reason'})",
                        diagnose_first=lambda error: _diagnose_steps(registry, service, label),
                        hints={ToyRegistryError: "Check the model name and the version you passed, and that the alias "
                                                 "exists before you read it.",
                               TypeError: "Call the client with MlflowClient's arguments."})


def _notices_a_failed_reload(fn: Callable, label: str, *args) -> bool:
    """Whether *fn* raises (it noticed) when the service's reload did not take."""
    try:
        fn(*args)
    except NotImplementedError:
        raise NotDoneYet(f"Not done yet: `{label}` still raises NotImplementedError.") from None
    except Exception:  # noqa: BLE001 - any error means the function noticed
        return True
    return False


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
    require_function(promote, "promote")
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
    if not _notices_a_failed_reload(promote, "promote", broken_registry,
                                    ToyService(broken_registry, name, broken=True), name, "3"):
        raise CheckFailed("With a service whose reload did not take (it still serves version 1), `promote` returned "
                          "normally. Verify from the service: compare service.serving_version() with the version you "
                          "promoted, and raise (e.g. RuntimeError) if they differ, so the pipeline stops and someone "
                          "looks.")
    passed("promote records previous_champion = 1, moves champion to 3, drops challenger, reloads, verifies and "
           "notices a reload that did not take. Its plan: " + "; ".join(plan))


def check_rollback(rollback: Any) -> None:
    """Run the learner's ``rollback(client, service, name, reason)`` after a promotion of 3 over 1."""
    require_function(rollback, "rollback")
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
    if not _notices_a_failed_reload(rollback, "rollback", broken_registry,
                                    ToyService(broken_registry, name, broken=True), name, reason):
        raise CheckFailed("With a service whose reload did not take (it still serves version 3), `rollback` returned "
                          "normally. Verify from the service after the reload and raise if it does not serve the "
                          "version you rolled back to: an unverified rollback is how an incident runs on.")
    passed("rollback moves champion to the recorded previous champion (1, not 2), tags version 3 with the reason, "
           "reloads, verifies and notices a reload that did not take. Its plan: " + "; ".join(plan))
