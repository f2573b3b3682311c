"""Exercise 04's self-checks: each known mistake gets its specific message; right answers pass.

The data is built exactly as in solutions/04_data_and_features.ipynb, so these tests also pin the facts the
exercise relies on (one skewed column, a snapshot outage that makes `tolerance` matter, five broken batches
that each need a different kind of rule).
"""

from __future__ import annotations

import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

from coursekit.checks import NotDoneYet, ch04
from tests.support.checks import fails, passes

NUMERIC = ["lines_changed", "test_coverage", "hours_since_last_deploy", "is_weekend"]
CATEGORICAL = ["service", "change_type"]


def training_features(raw):
    gap = raw["started_at"] - raw["previous_deploy_at"]
    return pd.DataFrame({
        "lines_changed": raw["lines_added"] + raw["lines_deleted"],
        "test_coverage": raw["test_coverage"],
        "hours_since_last_deploy": gap.dt.total_seconds() / 3600,
        "is_weekend": (raw["started_at"].dt.day_of_week >= 5).astype(int),
        "service": raw["service"],
        "change_type": raw["change_type"],
    })


def serving_features(raw):
    gap = raw["started_at"] - raw["previous_deploy_at"]
    return pd.DataFrame({
        "lines_changed": raw["lines_added"] + raw["lines_deleted"],
        "test_coverage": raw["test_coverage"],
        "hours_since_last_deploy": gap.dt.seconds / 3600,
        "is_weekend": raw["started_at"].dt.day_name().isin(["Saturday", "Sunday"]).astype(int),
        "service": raw["service"],
        "change_type": raw["change_type"],
    })


# ------------------------------------------------------------------------------------------ data


@pytest.fixture(scope="module")
def timeline():
    return ch04.deployments()


@pytest.fixture(scope="module")
def deploys(timeline):
    return timeline.iloc[:1200].reset_index(drop=True)


@pytest.fixture(scope="module")
def requests(timeline):
    return timeline.iloc[1200:1500].reset_index(drop=True)


@pytest.fixture(scope="module")
def split(deploys):
    X, y = training_features(deploys), deploys["rolled_back"]
    return train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)  # X_train, X_val, y_train, y_val


def pipeline(num=None, cat=None, columns=(NUMERIC, CATEGORICAL)):
    num = num if num is not None else make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
    cat = cat if cat is not None else make_pipeline(SimpleImputer(strategy="most_frequent"),
                                                    OneHotEncoder(handle_unknown="ignore"))
    features = ColumnTransformer([("num", num, list(columns[0])), ("cat", cat, list(columns[1]))])
    return Pipeline([("features", features), ("clf", LogisticRegression(max_iter=1000))])


@pytest.fixture(scope="module")
def snapshots(deploys):
    return ch04.service_snapshots(deploys)


def asof(deploys, snapshots, **kwargs):
    args = dict(left_on="started_at", right_on="snapshot_at", by="service", direction="backward",
                tolerance=pd.Timedelta("2D"))
    args.update(kwargs)
    return pd.merge_asof(deploys.sort_values("started_at"), snapshots.sort_values("snapshot_at"), **args)


@pytest.fixture(scope="module")
def team_model(deploys):
    X, y = training_features(deploys), deploys["rolled_back"]
    return make_pipeline(
        ColumnTransformer([("cat", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1), CATEGORICAL)],
                          remainder="passthrough"),
        HistGradientBoostingClassifier(random_state=0)).fit(X, y)


@pytest.fixture(scope="module")
def accuracies(team_model, requests):
    y = requests["rolled_back"]
    return (accuracy_score(y, team_model.predict(training_features(requests))),
            accuracy_score(y, team_model.predict(serving_features(requests))))


@pytest.fixture(scope="module")
def batches(timeline):
    return ch04.validation_batches(timeline)


@pytest.fixture(scope="module")
def reference(deploys):
    return deploys[ch04.RAW_COLUMNS]


GOOD_RULES = {
    "columns": {"deploy_id": "string", "service": "string", "started_at": "datetime",
                "previous_deploy_at": "datetime", "change_type": "string", "lines_added": "number",
                "lines_deleted": "number", "test_coverage": "number"},
    "max_null_rate": {"lines_added": 0.15, "test_coverage": 0.15, "change_type": 0.12, "lines_deleted": 0.05},
    "ranges": {"lines_added": (0, 1_000_000), "lines_deleted": (0, 1_000_000), "test_coverage": (0, 1)},
    "allowed_values": {"change_type": ch04.CHANGE_TYPES, "service": ch04.SERVICES},
}
JUSTIFICATION = ("Null-rate limits are about twice the rate observed in the reference and the worst normal batch, so "
                 "normal variation does not page anyone; ranges are physical limits with margin; categories come "
                 "from the reference data.")


def rules_with(**changes):
    rules = {k: dict(v) for k, v in GOOD_RULES.items()}
    for key, value in changes.items():
        if value is None:
            rules.pop(key)
        else:
            rules[key] = value
    return rules


# ------------------------------------------------------------------------------------------ the data itself


def test_data_is_deterministic_and_shaped_as_the_exercise_says(timeline, deploys, snapshots, batches):
    assert len(timeline) == 3000 and timeline["deploy_id"].is_unique
    pd.testing.assert_frame_equal(timeline, ch04.deployments())
    assert timeline["started_at"].is_monotonic_increasing
    assert timeline["started_at"].dtype == snapshots["snapshot_at"].dtype  # merge_asof needs the same unit
    assert 0.25 < deploys["rolled_back"].mean() < 0.45
    for col in ("lines_added", "test_coverage", "change_type"):
        assert deploys[col].isna().any(), f"{col} should have missing values"
    good, bad = batches
    assert len(good) == 5 and sorted(bad) == ["batch_a", "batch_b", "batch_c", "batch_d", "batch_e"]


def test_the_world_and_the_chapter_validator_are_re_exported_and_the_keys_are_not():
    from coursekit.exports import ch04 as chapter
    from coursekit.worlds import ch04 as world

    assert ch04.deployments is world.deployments and ch04.validation_batches is world.validation_batches
    assert ch04.validate_batch is chapter.validate_batch
    assert not hasattr(ch04, "point_in_time_join") and not hasattr(ch04, "accuracies") and not hasattr(ch04, "FAULTS")


def test_validate_batch_matches_the_chapter_format(batches):
    good, bad = batches
    assert ch04.validate_batch(good[0], GOOD_RULES).empty
    report = ch04.validate_batch(bad["batch_b"], GOOD_RULES)
    assert list(report.columns) == ["check", "column", "problem"]
    assert report["check"].tolist() == ["range"] and report["column"].tolist() == ["test_coverage"]


# ------------------------------------------------------------------------------------------ task 1


def test_pipeline_not_done():
    with pytest.raises(NotDoneYet):
        ch04.check_pipeline(None, None, None, None, None, NUMERIC, CATEGORICAL)


def test_pipeline_right_answer_passes(split, capsys):
    X_train, X_val, y_train, y_val = split
    passes(ch04.check_pipeline, capsys, pipeline().fit(X_train, y_train), X_train, y_train, X_val, y_val, NUMERIC,
           CATEGORICAL)


def test_pipeline_other_scaler_and_column_order_pass(split):
    X_train, X_val, y_train, y_val = split
    from sklearn.preprocessing import RobustScaler
    model = pipeline(num=make_pipeline(SimpleImputer(strategy="median"), RobustScaler()),
                     columns=(NUMERIC[::-1], CATEGORICAL[::-1])).fit(X_train, y_train)
    ch04.check_pipeline(model, X_train, y_train, X_val, y_val, NUMERIC, CATEGORICAL)


def test_pipeline_column_transformer_alone(split):
    X_train, X_val, y_train, y_val = split
    features = pipeline().named_steps["features"].fit(X_train)
    fails(ch04.check_pipeline, features, X_train, y_train, X_val, y_val, NUMERIC, CATEGORICAL,
          match="ColumnTransformer alone")


def test_pipeline_bare_classifier(split):
    X_train, X_val, y_train, y_val = split
    fails(ch04.check_pipeline, LogisticRegression(), X_train, y_train, X_val, y_val, NUMERIC, CATEGORICAL,
          match="should be a scikit-learn Pipeline")


def test_pipeline_without_classifier(split):
    X_train, X_val, y_train, y_val = split
    model = Pipeline([("features", pipeline().named_steps["features"])])
    fails(ch04.check_pipeline, model, X_train, y_train, X_val, y_val, NUMERIC, CATEGORICAL,
          match="last step of your Pipeline should be the classifier")


def test_pipeline_not_fitted(split):
    X_train, X_val, y_train, y_val = split
    fails(ch04.check_pipeline, pipeline(), X_train, y_train, X_val, y_val, NUMERIC, CATEGORICAL,
          match="not fitted yet")


def test_pipeline_column_left_out(split):
    X_train, X_val, y_train, y_val = split
    model = pipeline(columns=(NUMERIC, ["service"])).fit(X_train, y_train)
    fails(ch04.check_pipeline, model, X_train, y_train, X_val, y_val, NUMERIC, CATEGORICAL,
          match=r"does not use \['change_type'\]")


def test_pipeline_numeric_not_scaled(split):
    X_train, X_val, y_train, y_val = split
    model = pipeline(num=SimpleImputer(strategy="median")).fit(X_train, y_train)
    fails(ch04.check_pipeline, model, X_train, y_train, X_val, y_val, NUMERIC, CATEGORICAL, match="are not scaled")


def test_pipeline_numeric_not_imputed(split):
    X_train, X_val, y_train, y_val = split
    X_filled = X_train.fillna({c: 0 for c in NUMERIC})   # LogisticRegression refuses NaN, so fill by hand first
    model = pipeline(num=StandardScaler()).fit(X_filled, y_train)
    fails(ch04.check_pipeline, model, X_filled, y_train, X_val, y_val, NUMERIC, CATEGORICAL,
          match="numeric columns .* no SimpleImputer")


def test_pipeline_categorical_not_imputed(split):
    X_train, X_val, y_train, y_val = split
    model = pipeline(cat=OneHotEncoder(handle_unknown="ignore")).fit(X_train, y_train)
    fails(ch04.check_pipeline, model, X_train, y_train, X_val, y_val, NUMERIC, CATEGORICAL,
          match="categorical columns .* no SimpleImputer")


def test_pipeline_categorical_not_one_hot(split):
    X_train, X_val, y_train, y_val = split
    cat = make_pipeline(SimpleImputer(strategy="most_frequent"),
                        OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1))
    model = pipeline(cat=cat).fit(X_train, y_train)
    fails(ch04.check_pipeline, model, X_train, y_train, X_val, y_val, NUMERIC, CATEGORICAL,
          match="not one-hot encoded")


def test_pipeline_unknown_category_errors(split):
    X_train, X_val, y_train, y_val = split
    model = pipeline(cat=make_pipeline(SimpleImputer(strategy="most_frequent"), OneHotEncoder())).fit(X_train, y_train)
    fails(ch04.check_pipeline, model, X_train, y_train, X_val, y_val, NUMERIC, CATEGORICAL,
          match="handle_unknown")


def test_pipeline_fitted_on_train_and_validation(split):
    X_train, X_val, y_train, y_val = split
    model = pipeline().fit(pd.concat([X_train, X_val]), pd.concat([y_train, y_val]))
    fails(ch04.check_pipeline, model, X_train, y_train, X_val, y_val, NUMERIC, CATEGORICAL,
          match=r"training \*and\* validation rows")


def test_pipeline_fitted_on_validation_only(split):
    X_train, X_val, y_train, y_val = split
    model = pipeline().fit(X_val, y_val)
    fails(ch04.check_pipeline, model, X_train, y_train, X_val, y_val, NUMERIC, CATEGORICAL,
          match="differ from the same Pipeline fitted on X_train")


# ------------------------------------------------------------------------------------------ task 2


def test_pit_not_done(deploys, snapshots):
    with pytest.raises(NotDoneYet):
        ch04.check_point_in_time(None, deploys, snapshots)


def test_pit_right_answer_passes_in_any_row_order(deploys, snapshots, capsys):
    right = asof(deploys, snapshots)
    passes(ch04.check_point_in_time, capsys, right, deploys, snapshots)
    passes(ch04.check_point_in_time, capsys, right.sample(frac=1, random_state=1), deploys, snapshots)


def test_pit_not_a_dataframe(deploys, snapshots):
    fails(ch04.check_point_in_time, asof(deploys, snapshots).to_numpy(), deploys, snapshots,
          match="should be a DataFrame")


def test_pit_plain_merge_has_too_many_rows(deploys, snapshots):
    merged = deploys.merge(snapshots, on="service")
    fails(ch04.check_point_in_time, merged, deploys, snapshots, match="plain merge matches every snapshot")


def test_pit_rows_lost(deploys, snapshots):
    fails(ch04.check_point_in_time, asof(deploys, snapshots).dropna(), deploys, snapshots, match="rows were lost")


def test_pit_snapshot_columns_missing(deploys, snapshots):
    fails(ch04.check_point_in_time, deploys.copy(), deploys, snapshots, match="lacks the snapshot columns")


def test_pit_naive_latest_value(deploys, snapshots):
    latest = snapshots.sort_values("snapshot_at").groupby("service").tail(1)
    fails(ch04.check_point_in_time, deploys.merge(latest, on="service", how="left"), deploys, snapshots,
          match=r"\*latest\* snapshot")


@pytest.mark.parametrize("tolerance", [pd.Timedelta("2D"), None])
def test_pit_forward(deploys, snapshots, tolerance):
    fails(ch04.check_point_in_time, asof(deploys, snapshots, direction="forward", tolerance=tolerance), deploys,
          snapshots, match='direction="forward"')


def test_pit_nearest(deploys, snapshots):
    fails(ch04.check_point_in_time, asof(deploys, snapshots, direction="nearest"), deploys, snapshots,
          match='direction="nearest"')


def test_pit_without_by_keeps_both_service_columns(deploys, snapshots):
    fails(ch04.check_point_in_time, asof(deploys, snapshots, by=None), deploys, snapshots,
          match="service_x / service_y")


def test_pit_without_by_after_dropping_service(deploys, snapshots):
    joined = asof(deploys, snapshots.drop(columns="service"), by=None)
    fails(ch04.check_point_in_time, joined, deploys, snapshots, match="latest snapshot of \\*any\\* service")


def test_pit_without_tolerance(deploys, snapshots):
    fails(ch04.check_point_in_time, asof(deploys, snapshots, tolerance=None), deploys, snapshots,
          match="tolerance=pd.Timedelta")


def test_pit_missing_filled_with_zero(deploys, snapshots):
    filled = asof(deploys, snapshots).fillna({"deploys_7d": 0, "failures_7d": 0})
    fails(ch04.check_point_in_time, filled, deploys, snapshots, match="filled .* with 0")


def test_pit_other_wrong_values_show_an_example(deploys, snapshots):
    wrong = asof(deploys, snapshots)
    wrong["failures_7d"] = wrong["failures_7d"] + 1
    fails(ch04.check_point_in_time, wrong, deploys, snapshots, match="deploys have values that differ")


# ------------------------------------------------------------------------------------------ task 3

PREVENTION = "Serving should import the shared training_features function, and CI should test both paths on logs."


def skew(*args, **kwargs):
    return ch04.check_skew(*args, **kwargs)


def test_skew_not_done(team_model, requests):
    with pytest.raises(NotDoneYet):
        skew(None, None, None, team_model, requests, training_features, serving_features)


def test_skew_right_answer_passes(team_model, requests, accuracies, capsys):
    acc_train, acc_serve = accuracies
    assert acc_train - acc_serve > 0.03, "the skew should cost visible accuracy"
    passes(skew, capsys, "hours_since_last_deploy", acc_train - acc_serve, PREVENTION, team_model, requests,
           training_features, serving_features)


def test_skew_decoy_column_is_identical(team_model, requests):
    fails(skew, "is_weekend", 0.05, PREVENTION, team_model, requests, training_features, serving_features,
          match="`is_weekend` is identical")


def test_skew_not_a_column(team_model, requests):
    fails(skew, "hours", 0.05, PREVENTION, team_model, requests, training_features, serving_features,
          match="not a feature column")


def test_skew_several_columns(team_model, requests):
    fails(skew, ["hours_since_last_deploy", "is_weekend"], 0.05, PREVENTION, team_model, requests,
          training_features, serving_features, match="one column name")


def test_skew_drop_not_done(team_model, requests):
    with pytest.raises(NotDoneYet):
        skew("hours_since_last_deploy", None, PREVENTION, team_model, requests, training_features, serving_features)


def test_skew_sign_flipped(team_model, requests, accuracies):
    acc_train, acc_serve = accuracies
    fails(skew, "hours_since_last_deploy", acc_serve - acc_train, PREVENTION, team_model, requests,
          training_features, serving_features, match="sign is flipped")


def test_skew_percentage_points(team_model, requests, accuracies):
    acc_train, acc_serve = accuracies
    fails(skew, "hours_since_last_deploy", 100 * (acc_train - acc_serve), PREVENTION, team_model, requests,
          training_features, serving_features, match="percentage points")


@pytest.mark.parametrize("which", [0, 1])
def test_skew_an_accuracy_instead_of_the_drop(team_model, requests, accuracies, which):
    fails(skew, "hours_since_last_deploy", accuracies[which], PREVENTION, team_model, requests, training_features,
          serving_features, match="not the drop")


def test_skew_wrong_number(team_model, requests):
    fails(skew, "hours_since_last_deploy", 0.5, PREVENTION, team_model, requests, training_features,
          serving_features, match="is not right")


def test_skew_prevention_missing_short_or_vague(team_model, requests, accuracies):
    drop = accuracies[0] - accuracies[1]
    args = (team_model, requests, training_features, serving_features)
    with pytest.raises(NotDoneYet):
        skew("hours_since_last_deploy", drop, None, *args)
    fails(skew, "hours_since_last_deploy", drop, "Be careful.", *args, match="write at least 12")
    fails(skew, "hours_since_last_deploy", drop,
          "The developers should be more careful next time and read the code of the other team very closely.",
          *args, match="should name a mechanism")


# ------------------------------------------------------------------------------------------ task 4


def test_rules_not_done(reference, batches):
    good, bad = batches
    with pytest.raises(NotDoneYet):
        ch04.check_rules(None, None, reference, good, bad)


def test_rules_right_answer_passes(reference, batches, capsys):
    good, bad = batches
    passes(ch04.check_rules, capsys, GOOD_RULES, JUSTIFICATION, reference, good, bad)


def test_rules_unknown_key(reference, batches):
    good, bad = batches
    fails(ch04.check_rules, {**GOOD_RULES, "null_rates": {}}, JUSTIFICATION, reference, good, bad,
          match="unknown keys")


def test_rules_unknown_column(reference, batches):
    good, bad = batches
    fails(ch04.check_rules, rules_with(ranges={"coverage": (0, 1)}), JUSTIFICATION, reference, good, bad,
          match="`coverage`, which is not a column")


def test_rules_unknown_kind(reference, batches):
    good, bad = batches
    fails(ch04.check_rules, rules_with(columns={"lines_added": "integer"}), JUSTIFICATION, reference, good, bad,
          match="use one of number, string, datetime")


def test_rules_null_rate_as_percentage(reference, batches):
    good, bad = batches
    fails(ch04.check_rules, rules_with(max_null_rate={"lines_added": 15}), JUSTIFICATION, reference, good, bad,
          match="looks like a percentage")


def test_rules_range_upside_down(reference, batches):
    good, bad = batches
    fails(ch04.check_rules, rules_with(ranges={"test_coverage": (1, 0)}), JUSTIFICATION, reference, good, bad,
          match="low > high")


def test_rules_reject_the_reference(reference, batches):
    good, bad = batches
    fails(ch04.check_rules, rules_with(max_null_rate={"test_coverage": 0.01}), JUSTIFICATION, reference, good, bad,
          match="reject the reference data itself")


def test_rules_too_tight_for_normal_batches(reference, batches):
    good, bad = batches
    observed = float(reference["test_coverage"].isna().mean())
    tight = rules_with(max_null_rate={**GOOD_RULES["max_null_rate"], "test_coverage": round(observed + 0.001, 3)})
    fails(ch04.check_rules, tight, JUSTIFICATION, reference, good, bad, match="reject normal batch")


@pytest.mark.parametrize("drop, batch, hint", [
    ("max_null_rate", "batch_a", "missing values"),
    ("ranges", "batch_b", "value ranges"),
    ("allowed_values", "batch_d", "categorical columns"),
])
def test_rules_missing_a_kind_of_rule(reference, batches, drop, batch, hint):
    good, bad = batches
    message = fails(ch04.check_rules, rules_with(**{drop: None}), JUSTIFICATION, reference, good, bad,
                    match=f"pass your rules: {batch}")
    assert hint in message


def test_rules_without_schema_miss_renamed_and_text_columns(reference, batches):
    good, bad = batches
    message = fails(ch04.check_rules, rules_with(columns=None), JUSTIFICATION, reference, good, bad,
                    match="2 broken batch")
    assert "batch_c" in message and "batch_e" in message and "column names" in message and "dtypes" in message


def test_rules_justification(reference, batches):
    good, bad = batches
    with pytest.raises(NotDoneYet):
        ch04.check_rules(GOOD_RULES, None, reference, good, bad)
    fails(ch04.check_rules, GOOD_RULES, "Looks fine to me.", reference, good, bad, match="write at least 25")
    vague = ("These rules are good rules because they catch the bad batches and let the good batches through, "
             "which is what the task asked for in the first place, so they should be accepted as they are.")
    fails(ch04.check_rules, GOOD_RULES, vague, reference, good, bad, match="where the thresholds come from")


def test_rules_ranges_copied_from_the_reference_page_on_a_normal_day(reference, batches):
    good, bad = batches
    copied = {c: (float(reference[c].min()), float(reference[c].max())) for c in ("lines_added", "test_coverage")}
    fails(ch04.check_rules, rules_with(ranges=copied), JUSTIFICATION, reference, good, bad,
          match="copied from the reference's min and max is too tight")
