"""Self-checks for exercise 05, *Experiment tracking and model registry with MLflow*.

The checks read the learner's runs and registry back from the current MLflow tracking store (whatever
``mlflow.get_tracking_uri()`` points to), so they verify what was actually recorded, not what the notebook
variables claim. Each failure names the usual mistake: a run name instead of its id, metrics logged as
parameters or without ``step``, a search sorted the wrong way, an alias with the wrong case, deprecated
stages instead of aliases, a rollback by deletion, a promotion rule that compares in the wrong direction.
The reference answer of task 2 is private (:mod:`coursekit.checks._answers.ch05`).

Each task is judged on its own, so one mistake costs one task: task 3 accepts the run task 2 chose (its
``best_run_id``), and task 4 rolls back whatever version task 3 promoted (its ``new_version``); when an
earlier answer is what is wrong, the later check passes with a note or names the earlier task.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from coursekit.checks import (
    CheckFailed,
    NotDoneYet,
    call_learner,
    close,
    diagnose,
    passed,
    require,
    require_done,
    require_function,
    require_number,
    require_prose,
    within,
)

__all__ = ["check_logged_run", "check_best_run", "check_promotion", "check_rollback", "check_promotion_rule"]

def _client():
    from mlflow import MlflowClient

    return MlflowClient()


def _mlflow_error():
    from mlflow.exceptions import MlflowException

    return MlflowException


def _get_run(run_id: Any, name: str):
    """The run with id *run_id*, or a failure that says what kind of value was given instead."""
    require_done(run_id, name)
    if hasattr(run_id, "info") and hasattr(run_id, "data"):
        raise CheckFailed(f"`{name}` holds a run object. Store its id, a string: `{name} = run.info.run_id`.")
    if hasattr(run_id, "index") and hasattr(run_id, "to_dict"):  # a pandas row or table from search_runs
        raise CheckFailed(f"`{name}` is a pandas {type(run_id).__name__}, a row or table of `search_runs`. "
                          f"Take the id column of the row you want, e.g. `runs.loc[0, \"run_id\"]`.")
    require(isinstance(run_id, str),
            f"`{name}` should be a run id (a string of 32 hexadecimal characters), but it is a "
            f"{type(run_id).__name__}: {run_id!r}.")
    try:
        return _client().get_run(run_id)
    except _mlflow_error():
        if not re.fullmatch(r"[0-9a-f]{32}", run_id):
            raise CheckFailed(f"`{name}` is {run_id!r}, which looks like a run *name*. Runs are looked up by id: "
                              "use `run.info.run_id` (or the `run_id` column of `search_runs`).") from None
        raise CheckFailed(f"There is no run with id {run_id!r} in the current tracking store. Did you log it "
                          "before re-running the store cell (which starts an empty store)?") from None


def _sweep_runs(sweep_filter: str):
    import mlflow

    runs = mlflow.search_runs(search_all_experiments=True, filter_string=sweep_filter)
    require(len(runs) > 0, f"No runs match {sweep_filter!r}: run the cell that logs the sweep first.")
    return runs.reset_index(drop=True)


def _best_sweep_run_id(sweep_filter: str) -> str:
    from coursekit.checks._answers.ch05 import best_run_id

    return best_run_id(_sweep_runs(sweep_filter))


# --------------------------------------------------------------------------------------------------
# Task 1: log a run and read it back
# --------------------------------------------------------------------------------------------------

def check_logged_run(run_id, *, params: dict, history: list, final: dict, tags: dict,
                     metric: str = "val_log_loss") -> None:
    """The run has the parameters, the metric history at steps 1..n, the final metrics and the tags."""
    run = _get_run(run_id, "run_id")
    client = _client()
    require(run.info.status != "RUNNING",
            "The run is still RUNNING: end it before the check, by logging inside `with mlflow.start_run(...):` "
            "(the run ends when the block ends) or by calling `mlflow.end_run()`.")
    logged_params, logged_metrics, logged_tags = run.data.params, run.data.metrics, run.data.tags

    as_params = sorted(set(logged_params) & (set(final) | {metric}))
    require(not as_params,
            f"You logged {', '.join(f'`{k}`' for k in as_params)} as a parameter. Parameters are the settings you "
            "chose; results you measure are metrics: use `mlflow.log_metric` / `mlflow.log_metrics`.")
    missing = [k for k in params if k not in logged_params]
    require(not missing, f"The run has no parameter {', '.join(f'`{k}`' for k in missing)}: log all of `params` "
                         "with `mlflow.log_params(params)`.")
    for key, value in params.items():
        require(logged_params[key] == str(value),
                f"Parameter `{key}` is {logged_params[key]!r} in the run, but `params` says {str(value)!r}. "
                "Log the given values unchanged.")

    points = sorted(client.get_metric_history(run.info.run_id, metric), key=lambda m: (m.step, m.timestamp))
    require(points, f"The run has no metric `{metric}`: log it once per epoch from `history`, "
                    f"e.g. `mlflow.log_metric(\"{metric}\", value, step=epoch)` inside a loop.")
    n = len(history)
    require(len(points) != 1,
            f"`{metric}` has a single value. Log every epoch's value, inside the loop over `history`, so the "
            "run keeps the whole curve.")
    require(len(points) == n,
            f"`{metric}` has {len(points)} values but `history` has {n}: log each value exactly once.")
    steps = [m.step for m in points]
    require(len(set(steps)) > 1,
            f"All {n} values of `{metric}` are at step {steps[0]}: pass the epoch number, "
            "`mlflow.log_metric(name, value, step=epoch)`, or the curve has no x-axis.")
    require(steps == list(range(1, n + 1)),
            f"The steps of `{metric}` are {steps[:4]}...{steps[-1]}; they should be the epoch numbers 1 to {n}. "
            "`enumerate(history, start=1)` gives them." + (" (You started at 0.)" if steps == list(range(n)) else ""))
    values = [m.value for m in points]
    if not np.allclose(values, history, rtol=0, atol=1e-9):
        if np.allclose(values, history[::-1], rtol=0, atol=1e-9):
            raise CheckFailed(f"The values of `{metric}` are in reverse order: step 1 must hold `history[0]`.")
        raise CheckFailed(f"The values of `{metric}` do not match `history` step by step: log `history[i]` at "
                          "step `i + 1`.")

    for key, value in final.items():
        require(key in logged_metrics, f"The run has no metric `{key}`: log the metrics in `final` "
                                       "(`mlflow.log_metrics(final)`).")
        require(close(logged_metrics[key], float(value), abs=1e-9),
                f"Metric `{key}` is {logged_metrics[key]:.4f} in the run but {float(value):.4f} in `final`.")
    for key, value in tags.items():
        require(key in logged_tags, f"The run has no tag `{key}`: set the tags with `mlflow.set_tags(tags)`.")
        require(logged_tags[key] == str(value), f"Tag `{key}` is {logged_tags[key]!r}, expected {str(value)!r}.")
    passed(f"run {run.info.run_name!r}: {len(params)} parameters, `{metric}` at steps 1-{n}, "
           f"{len(final)} final metrics and {len(tags)} tag(s), all read back from the store.")


# --------------------------------------------------------------------------------------------------
# Task 2: the best run by validation log loss
# --------------------------------------------------------------------------------------------------

LOG_LOSS = within(abs=5e-4)  # a log loss rounded to three decimals still counts
# (the column a wrong run is the best of, and whether best is its lowest or its highest value, what to say)
_WRONG_RUNS = [
    ("metrics.val_log_loss", "max", "You picked the run with the **highest** validation log loss: the worst one. "
                                    "Log loss is lower-is-better, so sort with "
                                    "`order_by=[\"metrics.val_log_loss ASC\"]`."),
    ("metrics.train_log_loss", "min", "You picked the run with the lowest **training** loss. Training scores reward "
                                      "memorising the training rows; choose by `metrics.val_log_loss`."),
    ("metrics.val_roc_auc", "max", "You picked the run with the best ROC-AUC. Reasonable in general, but the task "
                                   "asks for the lowest validation log loss: sort by `metrics.val_log_loss ASC`."),
    ("metrics.val_recall", "max", "You picked the run with the best recall, which rewards flagging many disks. Sort "
                                  "by `metrics.val_log_loss ASC`."),
]


def check_best_run(best_run_id, best_val_log_loss, *, sweep_filter: str) -> None:
    """The sweep run with the lowest val_log_loss, and that run's value."""
    from coursekit.checks._answers.ch05 import best_run_id as key

    run = _get_run(best_run_id, "best_run_id")
    runs = _sweep_runs(sweep_filter)
    ids = list(runs["run_id"])
    require(run.info.run_id in ids,
            f"Run {run.info.run_name!r} is not one of the {len(ids)} sweep runs: restrict the search with "
            f"`filter_string=\"{sweep_filter}\"`.")
    row = runs.set_index("run_id")
    expected = key(runs)
    chosen = run.info.run_id
    if chosen != expected:
        for column, best, message in _WRONG_RUNS:
            if column in row and chosen == (row[column].idxmin() if best == "min" else row[column].idxmax()):
                raise CheckFailed(message)
        raise CheckFailed(f"Run {run.info.run_name!r} is not the sweep run with the lowest validation log loss. "
                          "Sort with `order_by=[\"metrics.val_log_loss ASC\"]` and take the first row.")
    value = require_number(best_val_log_loss, "best_val_log_loss")
    right = row.loc[expected, "metrics.val_log_loss"]
    if not LOG_LOSS(value, right):
        diagnose(value, "best_val_log_loss", right, [
            (row.loc[expected, "metrics.train_log_loss"], "that is the run's **training** loss; give its "
                                                          "`metrics.val_log_loss`."),
        ], close=LOG_LOSS)
        raise CheckFailed(f"`best_val_log_loss` is {value:.4f}, but the chosen run's validation log loss is "
                          f"{right:.4f}. Read it from the same row as the run id.")
    passed(f"{run.info.run_name!r} has the lowest validation log loss of the {len(ids)} sweep runs: {value:.3f}.")


# --------------------------------------------------------------------------------------------------
# Tasks 3 and 4: promotion and rollback with aliases
# --------------------------------------------------------------------------------------------------

def _version_str(value: Any, name: str) -> str:
    require_done(value, name)
    if hasattr(value, "version") and hasattr(value, "run_id"):  # a ModelVersion object
        value = value.version
    if isinstance(value, bool) or not isinstance(value, (str, int, np.integer)):
        raise CheckFailed(f"`{name}` should be a version number (e.g. 2 or '2'), but it is a "
                          f"{type(value).__name__}: {value!r}.")
    return str(value)


def _registry_state(model_name: str):
    client = _client()
    try:
        registered = client.get_registered_model(model_name)
    except _mlflow_error():
        raise CheckFailed(f"There is no registered model {model_name!r}: run the cell above the task.") from None
    aliases = {alias: str(version) for alias, version in (registered.aliases or {}).items()}
    versions = {str(v.version): v for v in client.search_model_versions(f"name = '{model_name}'")}
    return aliases, versions


def _alias_case_mistakes(aliases: dict) -> None:
    for alias in aliases:
        if alias.lower() in ("champion", "challenger") and alias != alias.lower():
            raise CheckFailed(f"There is an alias {alias!r}. Alias names are case-sensitive, and serving loads "
                              f"`@{alias.lower()}`: set `{alias.lower()}` (and delete the stray one with "
                              "`client.delete_registered_model_alias`).")


def _staged(versions: dict) -> list:
    return [v for v in versions.values() if getattr(v, "current_stage", "None") not in (None, "None", "")]


def _stage_mistakes(versions: dict) -> None:
    staged = _staged(versions)
    if staged:
        raise CheckFailed(f"Version {staged[0].version} is in the stage {staged[0].current_stage!r}. Registry stages "
                          "are deprecated since MLflow 2.9: use aliases, "
                          "`client.set_registered_model_alias(name, \"champion\", version)`.")


def _run_name(run_id: str | None) -> str:
    try:
        return repr(_client().get_run(run_id).info.run_name)
    except Exception:  # noqa: BLE001 - only for the message
        return repr(run_id)


def check_promotion(new_version, champion_model, *, model_name: str, sweep_filter: str, X_check,
                    best_run_id: Any = None) -> None:
    """A new version from the run task 2 chose, with both aliases on it, and the champion loaded by alias.

    Task 3 is judged on its own: registering and promoting *best_run_id* (the learner's task 2 answer) passes
    even when task 2 picked the wrong run, with a note that task 2's check says what to fix there.
    """
    if new_version is None and best_run_id is None:
        raise NotDoneYet("Not done yet: `new_version` is still None, and so is `best_run_id`: this task registers "
                         "the run you find in task 2. Do task 2, then this task, then run this check.")
    version = _version_str(new_version, "new_version")
    require_done(champion_model, "champion_model")
    aliases, versions = _registry_state(model_name)
    require(version in versions, f"{model_name!r} has no version {version} (it has {', '.join(sorted(versions))}). "
                                 "Store the number that `register(best_run_id)` returns.")
    best = _best_sweep_run_id(sweep_filter)
    chosen = best_run_id if isinstance(best_run_id, str) else None
    mv = versions[version]
    note = None
    if mv.run_id != best:
        if version == "1":
            raise CheckFailed("Version 1 is the baseline that was champion already. Register your best run as a "
                              "**new** version: `new_version = register(best_run_id)`.")
        if chosen is None:
            raise CheckFailed(f"Version {version} was registered from a run that is not the best of the sweep. Check "
                              "`best_run_id` (task 2) and register that run.")
        if mv.run_id != chosen:
            raise CheckFailed(f"Version {version} was registered from run {_run_name(mv.run_id)}, not from "
                              f"`best_run_id` ({_run_name(chosen)}), the run you found in task 2. Register that one: "
                              "`new_version = register(best_run_id)`.")
        note = (f"Note: `best_run_id` ({_run_name(chosen)}) is not the sweep run with the lowest validation log "
                "loss, so this version holds the wrong model: task 2's check says what to fix there. This check "
                "judged task 3 on its own, on registering and promoting the run task 2 gave you.")
    _alias_case_mistakes(aliases)
    _stage_mistakes(versions)
    require(aliases.get("challenger") == version,
            f"The alias `challenger` points to {aliases.get('challenger', 'nothing')}, not to version {version}: "
            f"`client.set_registered_model_alias(MODEL_NAME, \"challenger\", new_version)`.")
    champion = aliases.get("champion")
    require(champion != "1" or version == "1",
            "`champion` still points to version 1: promotion is moving that alias to the new version.")
    require(champion == version, f"`champion` points to {champion or 'nothing'}, not to version {version}.")
    if isinstance(champion_model, str):
        raise CheckFailed("`champion_model` is a string. Load the model itself: "
                          "`mlflow.sklearn.load_model(f\"models:/{MODEL_NAME}@champion\")`.")
    require(hasattr(champion_model, "predict"),
            f"`champion_model` should be a loaded model (with a `predict` method), not a {type(champion_model).__name__}.")
    import mlflow

    reference = mlflow.sklearn.load_model(f"models:/{model_name}/{version}")
    predicted = call_learner(champion_model.predict, X_check, name="champion_model.predict", where="on the check rows",
                             signature="predict(X)")
    same = np.array_equal(np.asarray(predicted), np.asarray(reference.predict(X_check)))
    require(same, f"`champion_model` predicts differently from version {version}. Load it by alias after moving "
                  "the alias: `mlflow.sklearn.load_model(f\"models:/{MODEL_NAME}@champion\")`.")
    which = "the best run" if note is None else "the run of `best_run_id`"
    passed(f"version {version} ({which}) is `challenger` and `champion`, and you loaded it by alias.")
    if note:
        print(note)


_NEVER_DELETE = ("Never roll back by deleting a version: it is the evidence for the post-mortem, and anything "
                 "pinned to it breaks. Redo task 3, then move the alias back instead.")


def _demoted_versions(new_version: Any, versions: dict) -> list:
    """The version(s) task 3 promoted: `new_version` if given, else every version but the baseline.

    Failures caused by task 3 (nothing promoted, or a wrong `new_version`) say so, and a deletion is named
    only when the registry proves it (version numbers are never reused, so a gap below the latest version
    was deleted).
    """
    if new_version is None:
        others = [v for number, v in sorted(versions.items()) if number != "1"]
        require(others, "There is nothing to roll back yet: `new_version` (task 3) is still None and the registry has "
                        "only version 1. Do task 3 first (register and promote your best run), then this task.")
        return others
    try:
        promoted = _version_str(new_version, "new_version")
    except CheckFailed as exc:
        raise CheckFailed(f"{exc} That is task 3's answer: fix task 3 first, then roll back the version it "
                          "promoted.") from None
    require(promoted != "1", "`new_version` (task 3) is 1, the baseline, so task 3 promoted nothing this task could "
                             "roll back. Fix task 3 first (its check says how), then this task.")
    if promoted not in versions:
        numbers = [int(n) for n in versions if n.isdigit()]
        if promoted.isdigit() and numbers and 1 <= int(promoted) < max(numbers):
            raise CheckFailed(f"Version {promoted} (`new_version`) was deleted. {_NEVER_DELETE}")
        raise CheckFailed(f"There is no version {promoted} (`new_version`, from task 3) in the registry. If task 3's "
                          f"check said so too, `new_version` is wrong: fix task 3 first. Otherwise it was deleted. "
                          f"{_NEVER_DELETE}")
    return [versions[promoted]]


def check_rollback(rolled_back_to, *, model_name: str, new_version: Any = None,
                   sweep_filter: str | None = None) -> None:
    """champion back on version 1; the version task 3 promoted (`new_version`) kept and tagged with the reason.

    Task 4 is judged on its own: the demoted version is whatever task 3 promoted, whichever run it came from,
    and leftovers of task 3's mistakes (a wrongly cased alias, a stage) are pointed out, not failed again.
    *sweep_filter* is accepted for check cells written before this and ignored.
    """
    target = _version_str(rolled_back_to, "rolled_back_to")
    aliases, versions = _registry_state(model_name)
    demoted = _demoted_versions(new_version, versions)
    champion = aliases.get("champion")
    if champion != "1":  # this task's mistake; name it if it is a wrong alias case or a stage on version 1
        _alias_case_mistakes({alias: v for alias, v in aliases.items() if v == "1"})
        _stage_mistakes({n: v for n, v in versions.items() if n == "1" and v.current_stage in ("Production", "Staging")})
        raise CheckFailed(f"`champion` points to {champion or 'nothing'}; rolling back means pointing it at "
                          "version 1 again: `client.set_registered_model_alias(MODEL_NAME, \"champion\", v1)`.")
    tagged = [v for v in demoted if v.tags.get("rolled_back")]
    require(tagged, f"Version {demoted[0].version} has no tag `rolled_back`. Record why it was demoted: "
                    "`client.set_model_version_tag(MODEL_NAME, new_version, \"rolled_back\", \"<reason>\")`.")
    require(target == champion, f"`rolled_back_to` is {target}, but `champion` points to {champion}. Read it back: "
                                "`client.get_model_version_by_alias(MODEL_NAME, \"champion\").version`.")
    passed(f"`champion` is back on version 1; version {tagged[0].version} is kept, tagged "
           f"rolled_back={tagged[0].tags['rolled_back']!r}.")
    stray = sorted(alias for alias in aliases if alias.lower() in ("champion", "challenger") and alias != alias.lower())
    staged = _staged(versions)
    if stray or staged:
        left = ([f"the alias {alias!r} (alias names are case-sensitive: delete it with "
                 "`client.delete_registered_model_alias`)" for alias in stray]
                + [f"version {v.version} in the deprecated stage {v.current_stage!r}" for v in staged])
        print(f"Note: the registry still has {' and '.join(left)}, most likely left from task 3 (its check says "
              "why). It does not count against this task.")


# --------------------------------------------------------------------------------------------------
# Task 5: the promotion rule
# --------------------------------------------------------------------------------------------------

_RULE_TERMS = ("noise", "recall", "precision", "margin", "threshold", "false alarm", "miss", "variance", "chance")


def _case(champion: dict, **changes) -> dict:
    challenger = dict(champion)
    challenger.update(changes)
    return challenger


def check_promotion_rule(should_promote, min_improvement, justification, *, min_words: int = 20) -> None:
    """The rule promotes exactly when log loss improves by the margin, recall holds and precision >= 0.5."""
    require_done(min_improvement, "min_improvement")
    margin = require_number(min_improvement, "min_improvement")
    require(margin > 0, f"`min_improvement` is {margin:g}: it must be positive, or a challenger that is no better "
                        "(or worse) would pass.")
    require(0.005 <= margin <= 0.1, f"`min_improvement` is {margin:g}; choose a margin between 0.005 and 0.1 "
                                    "(a few thousandths is noise on a few hundred disks; 0.1 would block real gains).")
    require_function(should_promote, "should_promote", shape="(champion, challenger) -> bool")
    champion = {"log_loss": 0.30, "roc_auc": 0.86, "recall": 0.60, "precision": 0.70}
    big = max(0.2, 3 * margin)
    cases = [
        ("a clearly better challenger that meets every requirement",
         _case(champion, log_loss=0.30 - big), True),
        ("a challenger identical to the champion (no improvement)", dict(champion), False),
        ("a challenger with a **worse** log loss", _case(champion, log_loss=0.30 + big), False),
        (f"a challenger better by only half your margin ({margin / 2:g})",
         _case(champion, log_loss=0.30 - margin / 2), False),
        (f"a challenger better by 1.5 times your margin ({1.5 * margin:g}), all else equal",
         _case(champion, log_loss=0.30 - 1.5 * margin), True),
        ("a much better log loss but recall 0.10 lower", _case(champion, log_loss=0.30 - big, recall=0.50), False),
        ("a much better log loss and recall 0.01 lower (within 0.02)",
         _case(champion, log_loss=0.30 - big, recall=0.59), True),
        ("a much better log loss and higher recall, but precision 0.40",
         _case(champion, log_loss=0.30 - big, recall=0.70, precision=0.40), False),
    ]
    results = []
    for description, challenger, expected in cases:
        before = (dict(champion), dict(challenger))
        answer = call_learner(should_promote, dict(champion), challenger, name="should_promote",
                              signature="should_promote(champion, challenger)",
                              hints={KeyError: "The dicts have exactly the keys 'log_loss', 'roc_auc', 'recall' and "
                                               "'precision'."})
        require(isinstance(answer, (bool, np.bool_)),
                f"`should_promote` returned {answer!r} ({type(answer).__name__}); return True or False.")
        require(challenger == before[1], "`should_promote` changed the dict it was given. A rule should only "
                                         "read its inputs; compute into new variables instead.")
        results.append((description, bool(answer), expected))
    wrong = [(d, a, e) for d, a, e in results if a != e]
    if wrong:
        by_desc = {d: a for d, a, _ in results}
        if by_desc[cases[2][0]] and not by_desc[cases[0][0]]:
            raise CheckFailed("Your rule promotes a challenger with a worse log loss and rejects a better one: the "
                              "comparison is the wrong way round. Lower log loss is better: "
                              "`challenger[\"log_loss\"] <= champion[\"log_loss\"] - min_improvement`.")
        description, answer, expected = wrong[0]
        verdict = "promotes" if answer else "rejects"
        raise CheckFailed(f"Your rule {verdict} {description}; it should "
                          f"{'promote' if expected else 'reject'} it. Check that every condition of the task is in "
                          "the rule, each compared in the right direction.")
    require_prose(justification, "justification", min_words,
                  f"write a few sentences (at least {min_words} words): why this margin, and what the recall and "
                  "precision conditions protect.", mention=_RULE_TERMS,
                  mention_hint="Your justification should explain the choice: mention the noise the margin guards "
                               "against, or what the recall and precision conditions protect.")
    passed(f"your rule decides all {len(cases)} test pairs correctly with a margin of {margin:g}, and the "
           "justification explains it.")
