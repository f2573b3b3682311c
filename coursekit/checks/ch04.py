"""Self-checks for exercise 04, *Data and features*.

The exercise works on a generated, seeded log of deployments (one row per deploy of a microservice, label
``rolled_back``): its world, :mod:`coursekit.worlds.ch04`, re-exported here with chapter 04's own validator,
:func:`validate_batch` (generated into :mod:`coursekit.exports.ch04`). Each check recomputes the right answer from
the data it is given, then diagnoses the usual mistakes (preprocessing fitted on the wrong rows, a join that looks
into the future, a sign flipped, rules that page on a normal day...) with a message that says what is wrong and
how to fix it. The reference answers are private (:mod:`coursekit.checks._answers.ch04`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from coursekit.checks import CheckFailed, diagnose, passed, require, require_done, require_number, require_prose, within
from coursekit.exports.ch04 import KINDS, validate_batch
from coursekit.worlds.ch04 import (
    CHANGE_TYPES,
    RAW_COLUMNS,
    SERVICES,
    deployments,
    service_snapshots,
    validation_batches,
)

__all__ = [
    "SERVICES", "CHANGE_TYPES", "RAW_COLUMNS", "deployments", "service_snapshots", "validation_batches", "validate_batch",
    "check_pipeline", "check_point_in_time", "check_skew", "check_rules",
]

RULE_KEYS = ("columns", "max_null_rate", "ranges", "allowed_values")  # the keys of the chapter's rules


def _same(a: Any, b: Any) -> np.ndarray:
    """Element-wise equality that counts two missing values as equal (and tolerates float rounding)."""
    a, b = pd.Series(a).reset_index(drop=True), pd.Series(b).reset_index(drop=True)
    both_missing = a.isna().to_numpy() & b.isna().to_numpy()
    try:
        fa, fb = a.astype(float).to_numpy(), b.astype(float).to_numpy()
        equal = np.isclose(fa, fb, rtol=1e-9, atol=1e-9)
    except (TypeError, ValueError):
        equal = (a == b).fillna(False).to_numpy(dtype=bool)
    return both_missing | equal


# --------------------------------------------------------------------------------------------------
# Task 1: one Pipeline with a ColumnTransformer, fitted on the training rows only
# --------------------------------------------------------------------------------------------------

# (which columns, the step they need, what to say when a part of the ColumnTransformer lacks it)
_MISSING_STEPS = [
    ("numeric", "scaler", "The numeric columns {columns} are not scaled. Put a StandardScaler after the imputer: "
                          "make_pipeline(SimpleImputer(strategy=\"median\"), StandardScaler())."),
    ("numeric", "imputer", "The numeric columns {columns} have missing values but no SimpleImputer: add "
                           "SimpleImputer(strategy=\"median\") before the scaler."),
    ("categorical", "encoder", "The categorical columns {columns} are not one-hot encoded: use "
                               "OneHotEncoder(handle_unknown=\"ignore\")."),
    ("categorical", "imputer", "The categorical columns {columns} have missing values but no SimpleImputer: add "
                               "SimpleImputer(strategy=\"most_frequent\") before the encoder."),
]


def _steps(estimator) -> list:
    """The estimator and everything nested in it (Pipeline steps, ColumnTransformer parts)."""
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline

    out = [estimator]
    if isinstance(estimator, Pipeline):
        for _, step in estimator.steps:
            out += _steps(step)
    elif isinstance(estimator, ColumnTransformer):
        parts = getattr(estimator, "transformers_", estimator.transformers)
        for _, trans, _ in parts:
            out += _steps(trans)
    return out


def _has(estimator, kinds: tuple) -> bool:
    return any(isinstance(s, kinds) for s in _steps(estimator))


def _col_names(cols, X: pd.DataFrame) -> list[str]:
    """Column names from a ColumnTransformer column spec (names, positions, a boolean mask, a callable)."""
    if isinstance(cols, str):
        return [cols]
    if callable(cols):
        cols = cols(X)
    cols = list(cols)
    if cols and all(isinstance(c, (bool, np.bool_)) for c in cols):
        return [c for c, keep in zip(X.columns, cols) if keep]
    return [X.columns[c] if isinstance(c, (int, np.integer)) else c for c in cols]


def check_pipeline(model, X_train: pd.DataFrame, y_train, X_val: pd.DataFrame, y_val, numeric: list[str],
                   categorical: list[str], *, min_auc: float = 0.70) -> None:
    """A fitted Pipeline: ColumnTransformer (impute + scale numeric, impute + one-hot categorical) + classifier."""
    from sklearn.base import clone
    from sklearn.compose import ColumnTransformer
    from sklearn.exceptions import NotFittedError
    from sklearn.impute import SimpleImputer
    from sklearn.metrics import roc_auc_score
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import MaxAbsScaler, MinMaxScaler, OneHotEncoder, RobustScaler, StandardScaler
    from sklearn.utils.validation import check_is_fitted

    require_done(model, "model")
    if isinstance(model, ColumnTransformer):
        raise CheckFailed("`model` is the ColumnTransformer alone. Chain it with the classifier: "
                          "Pipeline([(\"features\", features), (\"clf\", LogisticRegression(max_iter=1000))]), so the "
                          "preprocessing ships inside the same artifact as the model.")
    require(isinstance(model, Pipeline),
            f"`model` should be a scikit-learn Pipeline (preprocessing + classifier in one object), but it is a "
            f"{type(model).__name__}.")
    require(hasattr(model.steps[-1][1], "predict_proba"),
            "The last step of your Pipeline should be the classifier (e.g. LogisticRegression(max_iter=1000)); "
            f"it is a {type(model.steps[-1][1]).__name__}.")
    transformers = [s for s in _steps(model) if isinstance(s, ColumnTransformer)]
    require(bool(transformers), "Your Pipeline has no ColumnTransformer. Use one to send the numeric columns through "
                                "imputer + scaler and the categorical columns through imputer + one-hot encoder.")
    try:
        check_is_fitted(model)
    except NotFittedError:
        raise CheckFailed("`model` is not fitted yet: call model.fit(X_train, y_train).") from None
    ct = transformers[0]
    parts = [(trans, [cols] if isinstance(cols, str) else list(cols)) for _, trans, cols in ct.transformers_
             if not (isinstance(trans, str) and trans == "drop") and _col_names(cols, X_train)]
    used = {c for _, cols in parts for c in _col_names(cols, X_train)}
    missing = [c for c in numeric + categorical if c not in used]
    require(not missing, f"Your ColumnTransformer does not use {missing}: columns it does not list are dropped "
                         "(remainder='drop' is the default). List every numeric and categorical column.")
    step_kinds = {"scaler": (StandardScaler, RobustScaler, MinMaxScaler, MaxAbsScaler), "imputer": (SimpleImputer,),
                  "encoder": (OneHotEncoder,)}
    for trans, cols in parts:
        names = _col_names(cols, X_train)
        columns = {"numeric": [c for c in names if c in numeric], "categorical": [c for c in names if c in categorical]}
        for which, step, message in _MISSING_STEPS:
            if columns[which] and not _has(trans, step_kinds[step]):
                raise CheckFailed(message.format(columns=columns[which]))
    probe = X_val.head(5).copy()
    probe[numeric] = np.nan
    probe[categorical] = np.nan
    try:
        model.predict_proba(probe)
    except ValueError as exc:
        raise CheckFailed(f"Your model fails on rows with missing values ({str(exc).splitlines()[0][:90]}). Every "
                          "column needs a SimpleImputer in front of its scaler or encoder.") from None
    probe = X_val.head(5).copy()
    for c in categorical:
        probe[c] = "never-seen-before"
    try:
        model.predict_proba(probe)
    except ValueError:
        raise CheckFailed("Your model fails on a category it never saw in training (a new service, a new change "
                          "type). Use OneHotEncoder(handle_unknown=\"ignore\"): unseen values become all zeros.") from None

    mine = model.predict_proba(X_val)[:, 1]

    def refit(X, y):
        return clone(model).fit(X, y).predict_proba(X_val)[:, 1]

    def same(a, b) -> bool:
        return np.allclose(a, b, atol=1e-6)

    on_train = refit(X_train, y_train)
    if not same(mine, on_train):
        if same(on_train, refit(X_train, y_train)):  # only judge a deterministic model
            both_X, both_y = pd.concat([X_train, X_val]), pd.concat([pd.Series(y_train), pd.Series(y_val)])
            if same(mine, refit(both_X, both_y)):
                raise CheckFailed("Your model was fitted on the training *and* validation rows: its imputer medians, "
                                  "scaler means and coefficients have seen the validation data, so the validation "
                                  "score is leaky. Fit on X_train, y_train only.")
            raise CheckFailed("Your model's predictions differ from the same Pipeline fitted on X_train, y_train. Fit "
                              "it once, on the training rows only (not on validation, not on all rows).")
    auc = roc_auc_score(y_val, mine)
    require(auc >= min_auc, f"Validation ROC-AUC is {auc:.3f}, below {min_auc}: something throws information away. "
                            "Check that the classifier gets every column, scaled and one-hot encoded.")
    n_out = len(model[:-1].get_feature_names_out()) if hasattr(model[:-1], "get_feature_names_out") else "?"
    passed(f"One fitted Pipeline: {len(numeric)} numeric + {len(categorical)} categorical columns become {n_out} "
           f"model inputs; fitted on the {len(X_train)} training rows only; handles missing values and unseen "
           f"categories; validation ROC-AUC {auc:.3f}.")


# --------------------------------------------------------------------------------------------------
# Task 2: a point-in-time join with merge_asof
# --------------------------------------------------------------------------------------------------

_FEATURES = ["deploys_7d", "failures_7d"]
_NAIVE_JOIN = ("Your values are each service's *latest* snapshot, taken after most deploys: they count rollbacks "
               "that had not happened yet (future leakage). Use pd.merge_asof(..., by=\"service\", "
               "direction=\"backward\").")
# (how the join differs from the right one, what to say); each is tried with the tolerance, then without it
_JOIN_MISTAKES = [
    ({"direction": "forward"},
     "You used direction=\"forward\": each deploy gets the first snapshot *after* it, which already counts the "
     "deploy's own rollback. Use direction=\"backward\" (the default)."),
    ({"direction": "nearest"},
     "You used direction=\"nearest\": for deploys late in the day the nearest snapshot is the next morning's, "
     "which is in the future. Use direction=\"backward\"."),
    ({"by": False},
     "Without by=\"service\" each deploy gets the latest snapshot of *any* service. Add by=\"service\"{also}."),
    ({},
     "Almost: the values are point-in-time correct, but some are older than 2 days (the snapshot job was down "
     "for several days). Pass tolerance=pd.Timedelta(\"2D\") so stale values become NaN."),
]


def _features(joined: pd.DataFrame, deploys: pd.DataFrame) -> pd.DataFrame:
    """The snapshot columns of a joined table, one row per deploy, in the order of *deploys*."""
    return joined.set_index("deploy_id").loc[deploys["deploy_id"], _FEATURES]


def check_point_in_time(training_set, deploys: pd.DataFrame, snapshots: pd.DataFrame, *,
                        tolerance: pd.Timedelta = pd.Timedelta("2D")) -> None:
    """One row per deploy with the latest same-service snapshot at or before ``started_at``, at most 2 days old."""
    from coursekit.checks._answers.ch04 import point_in_time_join

    require_done(training_set, "training_set")
    require(isinstance(training_set, pd.DataFrame),
            f"`training_set` should be a DataFrame (the result of pd.merge_asof), but it is a "
            f"{type(training_set).__name__}.")
    cols = set(training_set.columns)
    if {"service_x", "service_y"} & cols:
        raise CheckFailed("Your result has columns service_x / service_y: the join did not match on the service. "
                          "Pass by=\"service\" so each deploy only gets snapshots of its own service.")
    require("deploy_id" in cols, "`training_set` has no `deploy_id` column: keep the deploys' columns (start from "
                                 "`deploys` as the left table).")
    absent = [c for c in _FEATURES if c not in cols]
    require(not absent, f"`training_set` lacks the snapshot columns {absent}: join `snapshots` onto `deploys`.")
    n, m = len(training_set), len(deploys)
    if n > m:
        raise CheckFailed(f"`training_set` has {n} rows but there are {m} deploys: a plain merge matches every "
                          "snapshot of the service. Use pd.merge_asof, which takes one snapshot per deploy.")
    if n < m:
        raise CheckFailed(f"`training_set` has {n} rows but there are {m} deploys: rows were lost (an inner join, or "
                          "dropna?). merge_asof keeps every left row; leave NaN where there is no fresh snapshot.")
    require(training_set["deploy_id"].is_unique and set(training_set["deploy_id"]) == set(deploys["deploy_id"]),
            "`training_set` should hold each deploy exactly once (its deploy_id values differ from `deploys`).")
    mine = _features(training_set, deploys)

    def matches(ref: pd.DataFrame) -> bool:
        return all(_same(mine[c], ref[c]).all() for c in _FEATURES)

    def join(**options) -> pd.DataFrame:
        return _features(point_in_time_join(deploys, snapshots, **options), deploys)

    right = join(tolerance=tolerance)
    if matches(right):
        stale = int(right["failures_7d"].isna().sum())
        passed(f"{m} deploys, each with its own service's latest snapshot taken at or before the deploy and at most "
               f"{tolerance.days} days old; {stale} deploys have no fresh snapshot and keep NaN.")
        return
    if matches(right.fillna(0)):
        raise CheckFailed("You filled the deploys without a fresh snapshot with 0. Leave them NaN: \"no data\" is not "
                          "\"zero failures\", and the model's imputer (or a reviewer) must be able to tell them apart.")
    latest = snapshots.sort_values("snapshot_at").groupby("service").tail(1).set_index("service")
    naive = deploys[["service"]].join(latest, on="service").set_index(deploys["deploy_id"])
    if matches(naive):
        raise CheckFailed(_NAIVE_JOIN)
    for options, message in _JOIN_MISTAKES:
        for tol, also in ((tolerance, ""), (None, " (and the tolerance)")):
            if (options or tol is None) and matches(join(**options, tolerance=tol)):
                raise CheckFailed(message.format(also=also))
    wrong = ~(_same(mine["failures_7d"], right["failures_7d"]) & _same(mine["deploys_7d"], right["deploys_7d"]))
    first = deploys.loc[wrong].iloc[0]

    def shown(row: pd.Series) -> str:
        return ", ".join(f"{c}={row[c]:g}" for c in _FEATURES)

    raise CheckFailed(f"{int(wrong.sum())} deploys have values that differ from the point-in-time snapshot; e.g. "
                      f"{first['deploy_id']} ({first['service']}, started {first['started_at']}): yours "
                      f"{shown(mine.loc[first['deploy_id']])}, expected {shown(right.loc[first['deploy_id']])}. "
                      "Take the latest snapshot of the same service at or before started_at, at most 2 days old.")


# --------------------------------------------------------------------------------------------------
# Task 3: find and measure a training/serving skew
# --------------------------------------------------------------------------------------------------

ACCURACY = within(abs=0.002)  # an accuracy (or a drop) rounded to three decimals still counts
_PREVENTION = ("shared", "same code", "same function", "library", "package", "pipeline", "skew", "compare",
               "test", "reuse", "one implementation", "single implementation")


def check_skew(skewed_column, accuracy_drop, prevention, model, requests: pd.DataFrame,
               training_features: Callable, serving_features: Callable) -> None:
    """The one feature column where serving differs from training, and the accuracy it costs on *requests*."""
    from coursekit.checks._answers.ch04 import accuracies

    require_done(skewed_column, "skewed_column")
    train_f, serve_f = training_features(requests), serving_features(requests)
    differing = {c: int((~_same(train_f[c], serve_f[c])).sum()) for c in train_f.columns}
    if isinstance(skewed_column, (list, tuple, set)):
        raise CheckFailed("`skewed_column` should be one column name (a string), not a collection.")
    require(isinstance(skewed_column, str),
            f"`skewed_column` should be a column name (a string), but it is a {type(skewed_column).__name__}.")
    require(skewed_column in train_f.columns,
            f"`{skewed_column}` is not a feature column. The features are: {', '.join(train_f.columns)}.")
    if differing[skewed_column] == 0:
        raise CheckFailed(f"`{skewed_column}` is identical in training and serving for all {len(requests)} requests "
                          "(even if the code looks different). Compare every column, e.g. "
                          "(train_f[c] != serve_f[c]).sum(), minding NaN.")
    n_diff = differing[skewed_column]

    drop = require_number(accuracy_drop, "accuracy_drop")
    acc_train, acc_serve = accuracies(model, requests, training_features, serving_features)
    right = acc_train - acc_serve
    if not ACCURACY(drop, right):
        require(abs(drop) <= 1, f"`accuracy_drop` is {drop:g}: that looks like percentage points. Give it as a "
                                "difference of two fractions, e.g. 0.05.")
        subtract = "Subtract: accuracy(training features) - accuracy(serving features)."
        diagnose(drop, "accuracy_drop", right, [
            (-right, "the sign is flipped. Compute accuracy with the training features minus accuracy with the "
                     "serving features (a drop is positive)."),
            (acc_train, f"that is the accuracy with the training features, not the drop. {subtract}"),
            (acc_serve, f"that is the accuracy with the serving features, not the drop. {subtract}"),
        ], close=ACCURACY, template="`{name}` = {value:.3f}: {message}")
        raise CheckFailed(f"`accuracy_drop` = {drop:.3f} is not right. Predict the requests twice with the same "
                          "model, once from training_features(requests) and once from serving_features(requests), "
                          "and subtract the two accuracies against requests[\"rolled_back\"].")
    require_prose(prevention, "prevention", 12,
                  "write at least 12: how would you stop this class of bug from reaching production again?",
                  mention=_PREVENTION,
                  mention_hint="`prevention` should name a mechanism: e.g. one shared feature function (or the fitted "
                               "pipeline) used by both training and serving, a test comparing both on the same rows, "
                               "or a skew check on logged features.")
    passed(f"`{skewed_column}` differs on {n_diff} of {len(requests)} requests; accuracy {acc_train:.3f} with the "
           f"training features vs {acc_serve:.3f} with the serving ones: the skew silently costs {right:.3f}.")


# --------------------------------------------------------------------------------------------------
# Task 4: validation rules that pass normal batches and reject broken ones
# --------------------------------------------------------------------------------------------------

# For a broken batch that passes the rules: where to look, by its fault (coursekit.worlds.ch04.FAULTS)
_HINTS = {
    "nulls": "compare its share of missing values per column with the normal batches",
    "percent": "compare the value ranges of its numeric columns with the reference (describe())",
    "renamed": "compare its column names with the reference",
    "casing": "compare the values of its categorical columns with the reference (value_counts())",
    "strings": "compare its dtypes with the reference",
}
# For a normal batch that fails the rules: what to change, by the kind of rule that failed
_ADVICE = {
    "nulls": "Small batches have noisier null rates than the reference: leave room above what you observed.",
    "range": "A range copied from the reference's min and max is too tight: normal data beats them now and then, "
             "especially in heavy-tailed columns. Use physical or business limits, with margin.",
    "values": "That value occurs in normal data: take the allowed list from the reference's values.",
    "schema": "Normal data has this column with this kind: check the reference's dtypes.",
}
_THRESHOLD_WORDS = ("reference", "observed", "training", "normal", "margin", "variation", "false alarm", "page",
                    "noise", "headroom", "typical", "historical", "baseline", "slack")


def _check_rule_shapes(rules: dict, columns: list[str]) -> None:
    unknown = [k for k in rules if k not in RULE_KEYS]
    require(not unknown, f"`rules` has unknown keys {unknown}; use {', '.join(RULE_KEYS)}.")
    for key in RULE_KEYS:
        require(isinstance(rules.get(key, {}), dict), f"`rules[\"{key}\"]` should be a dict keyed by column name.")
        for col in rules.get(key, {}):
            require(col in columns, f"`rules[\"{key}\"]` names `{col}`, which is not a column of the reference batch "
                                    f"({', '.join(columns)}).")
    for col, kind in rules.get("columns", {}).items():
        require(kind in KINDS, f"`rules[\"columns\"][\"{col}\"]` is {kind!r}; use one of {', '.join(KINDS)}.")
    for col, limit in rules.get("max_null_rate", {}).items():
        require(isinstance(limit, (int, float)) and not isinstance(limit, bool),
                f"`rules[\"max_null_rate\"][\"{col}\"]` should be a number (a fraction).")
        require(not (1 < limit <= 100), f"`rules[\"max_null_rate\"][\"{col}\"]` is {limit:g}: that looks like a "
                                        "percentage. Give it as a fraction, e.g. 0.1 for 10 %.")
        require(0 <= limit <= 1, f"`rules[\"max_null_rate\"][\"{col}\"]` is {limit:g}; a rate is between 0 and 1.")
    for col, bounds in rules.get("ranges", {}).items():
        ok = isinstance(bounds, (tuple, list)) and len(bounds) == 2 and all(
            isinstance(b, (int, float)) and not isinstance(b, bool) for b in bounds)
        require(ok, f"`rules[\"ranges\"][\"{col}\"]` should be a pair (low, high) of numbers.")
        require(bounds[0] <= bounds[1], f"`rules[\"ranges\"][\"{col}\"]` has low > high: {tuple(bounds)}.")
    for col, allowed in rules.get("allowed_values", {}).items():
        require(isinstance(allowed, (list, tuple, set, frozenset)),
                f"`rules[\"allowed_values\"][\"{col}\"]` should be a list of allowed values.")


def check_rules(rules, justification, reference: pd.DataFrame, good_batches: list[pd.DataFrame],
                bad_batches: dict[str, pd.DataFrame], *, min_words: int = 25) -> None:
    """*rules* pass every normal batch and reject every broken one; the justification explains the thresholds."""
    from coursekit.worlds.ch04 import FAULTS  # which batch has which fault: for the hints, not the learner's namespace

    require_done(rules, "rules")
    require(isinstance(rules, dict), f"`rules` should be a dict like in the chapter, but it is a {type(rules).__name__}.")
    _check_rule_shapes(rules, list(reference.columns))
    own = validate_batch(reference, rules)
    require(own.empty, "Your rules reject the reference data itself (the data the model was trained on): "
                       + "; ".join(f"{r.column}: {r.problem}" for r in own.itertuples())
                       + ". Start from what the reference looks like.")
    for i, batch in enumerate(good_batches, start=1):
        report = validate_batch(batch, rules)
        if not report.empty:
            first = report.iloc[0]
            raise CheckFailed(f"Your rules reject normal batch {i} ({first['check']} on `{first['column']}`: "
                              f"{first['problem']}). That would page someone for a normal day. "
                              f"{_ADVICE[first['check']]}")
    passing = [name for name, batch in bad_batches.items() if validate_batch(batch, rules).empty]
    if passing:
        hints = "; ".join(f"{name}: {_HINTS.get(FAULTS.get(name, ''), 'compare it with the reference')}"
                          for name in passing)
        raise CheckFailed(f"{len(passing)} broken batch(es) pass your rules: {', '.join(passing)}. Find what is wrong "
                          f"with each and add a rule that catches it. Hints: {hints}.")
    require_prose(justification, "justification", min_words,
                  f"write at least {min_words}: for each kind of rule, where the threshold comes from and why it "
                  "leaves the margin it does.", mention=_THRESHOLD_WORDS,
                  mention_hint="Your justification should say where the thresholds come from: what you observed in "
                               "the reference or normal batches, and how much margin you left against false alarms.")
    n_rules = sum(len(rules.get(k, {})) for k in RULE_KEYS)
    caught = {name: sorted(set(validate_batch(b, rules)["check"])) for name, b in bad_batches.items()}
    shown = ", ".join(f"{name} ({'/'.join(checks)})" for name, checks in caught.items())
    passed(f"{n_rules} rules: all {len(good_batches)} normal batches pass, all {len(bad_batches)} broken ones are "
           f"rejected: {shown}.")
