"""Exercise 01's self-checks: each known mistake gets its specific message; right answers pass.

The data is built exactly as in solutions/01_ml_essentials.ipynb, so these tests also pin the numbers the
solution relies on (for example that the best depth on validation differs from the best depth on test).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from coursekit.checks import NotDoneYet, ch01
from tests.support.checks import fails

# ------------------------------------------------------------------------------------------ data


@pytest.fixture(scope="module")
def cancer():
    data = load_breast_cancer(as_frame=True)
    return data.data, (data.target == 0).astype(int).rename("malignant")


@pytest.fixture(scope="module")
def rest(cancer):
    """The given first split of task 1: (X_rest, X_test, y_rest, y_test)."""
    X, y = cancer
    return train_test_split(X, y, test_size=0.2, stratify=y, random_state=0)


@pytest.fixture(scope="module")
def good_split(rest):
    X_rest, X_test, y_rest, y_test = rest
    X_train, X_val, y_train, y_val = train_test_split(X_rest, y_rest, test_size=0.25, stratify=y_rest, random_state=0)
    return dict(X_train=X_train, X_val=X_val, X_test=X_test, y_train=y_train, y_val=y_val, y_test=y_test)


Y_TRUE = np.array([0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0,
                   0, 1, 1, 0, 0, 0, 0, 0])
Y_PRED = np.array([1, 0, 0, 0, 1, 1, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0,
                   0, 0, 1, 1, 0, 0, 0, 0])
# TP=6 FP=4 FN=2 TN=28: precision 0.6, recall 0.75, accuracy 0.85, F1 0.667, class-0 precision 0.933


@pytest.fixture(scope="module")
def disks():
    features, labels = make_classification(n_samples=2000, n_features=12, n_informative=5, n_redundant=2,
                                           weights=[0.8], flip_y=0.03, random_state=18)
    X = pd.DataFrame(features, columns=[f"metric_{i:02d}" for i in range(12)])
    y = pd.Series(labels, name="failed")
    X_rest, X_test, y_rest, y_test = train_test_split(X, y, test_size=0.2, stratify=y, random_state=0)
    X_train, X_val, y_train, y_val = train_test_split(X_rest, y_rest, test_size=0.25, stratify=y_rest, random_state=0)
    return X_train, y_train, X_val, y_val, X_test, y_test


@pytest.fixture(scope="module")
def depth_scores(disks):
    X_train, y_train, X_val, y_val, X_test, y_test = disks
    scores = {}
    for d in range(1, 16):
        tree = DecisionTreeClassifier(max_depth=d, random_state=0).fit(X_train, y_train)
        scores[d] = {"train": tree.score(X_train, y_train), "val": tree.score(X_val, y_val),
                     "test": tree.score(X_test, y_test)}
    return scores


@pytest.fixture(scope="module")
def scored_val(disks):
    X_train, y_train, X_val, y_val, _, _ = disks
    scorer = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(X_train, y_train)
    return y_val, scorer.predict_proba(X_val)[:, 1]


@pytest.fixture(scope="module")
def best_threshold(scored_val):
    y_val, proba = scored_val
    y = y_val.to_numpy()
    best = None
    for t in np.unique(proba):
        flagged = proba >= t
        recall = flagged[y == 1].mean()
        precision = y[flagged].mean()
        if recall >= 0.9 and (best is None or precision > best[1]):
            best = (float(t), precision)
    return best[0]


JUSTIFICATION = ("A threshold this low flags at least 90% of the failing disks on validation, so recall meets the "
                 "requirement; precision is about 0.48, so half the alerts are false alarms, which is cheap "
                 "compared with losing data.")


# ------------------------------------------------------------------------------------------ task 1


def split_args(s):
    return s["X_train"], s["X_val"], s["X_test"], s["y_train"], s["y_val"], s["y_test"]


def test_split_not_done(good_split):
    with pytest.raises(NotDoneYet, match="X_train"):
        ch01.check_split(None, None, None, None, None, None)
    with pytest.raises(NotDoneYet, match="y_val"):
        ch01.check_split(*split_args({**good_split, "y_val": None}))


def test_split_right_answer_passes(good_split, cancer, capsys):
    ch01.check_split(*split_args(good_split), n_rows=len(cancer[0]))
    assert capsys.readouterr().out.startswith("✔ Split 341 / 114 / 114 rows")


def test_split_numpy_arrays_pass(good_split, capsys):
    arrays = {k: v.to_numpy() for k, v in good_split.items()}
    ch01.check_split(*split_args(arrays))
    assert "✔" in capsys.readouterr().out


def test_split_validation_is_20_percent_of_the_remainder(rest):
    X_rest, X_test, y_rest, y_test = rest
    X_train, X_val, y_train, y_val = train_test_split(X_rest, y_rest, test_size=0.2, stratify=y_rest, random_state=0)
    message = fails(ch01.check_split, X_train, X_val, X_test, y_train, y_val, y_test,
                    match=r"`X_val` holds 0.16 of the rows, not 0.20")
    assert "0.25 of the remainder" in message


def test_split_unpacked_in_the_wrong_order(rest):
    X_rest, X_test, y_rest, y_test = rest
    X_train, y_train, X_val, y_val = train_test_split(X_rest, y_rest, test_size=0.25, stratify=y_rest, random_state=0)
    fails(ch01.check_split, X_train, X_val, X_test, y_train, y_val, y_test, match="features and labels look mixed up")


def test_split_not_stratified(rest):
    X_rest, X_test, y_rest, y_test = rest
    X_train, X_val, y_train, y_val = train_test_split(X_rest, y_rest, test_size=0.25, random_state=0)
    fails(ch01.check_split, X_train, X_val, X_test, y_train, y_val, y_test, match="Pass `stratify=`")


def test_split_second_split_from_all_rows_overlaps_the_test_set(cancer, rest):
    X, y = cancer
    _, X_test, _, y_test = rest
    X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)
    fails(ch01.check_split, X_train, X_val, X_test, y_train, y_val, y_test, match=r"rows are in both `X_\w+` and `X_test`")


def test_split_labels_shuffled_apart_from_features(good_split):
    shuffled = {**good_split, "y_val": good_split["y_val"].sample(frac=1, random_state=0)}
    fails(ch01.check_split, *split_args(shuffled), match="do not line up")


def test_split_lost_rows(good_split, cancer):
    short = {**good_split, "X_train": good_split["X_train"].iloc[:-10], "y_train": good_split["y_train"].iloc[:-10]}
    fails(ch01.check_split, *split_args(short), n_rows=len(cancer[0]), match="rows were lost or duplicated")


def test_split_training_set_is_not_the_biggest(rest):
    X_rest, X_test, y_rest, y_test = rest
    X_val, X_train, y_val, y_train = train_test_split(X_rest, y_rest, test_size=0.25, stratify=y_rest, random_state=0)
    fails(ch01.check_split, X_train, X_val, X_test, y_train, y_val, y_test, match="should be the biggest")


def test_split_mismatched_lengths(good_split):
    fails(ch01.check_split, *split_args({**good_split, "y_val": good_split["y_test"].iloc[:50]}),
          match="`X_val` has 114 rows but `y_val` has 50")


def test_split_wrong_type(good_split):
    fails(ch01.check_split, *split_args({**good_split, "X_train": "data.csv"}), match="should be a 2-D table")


# ------------------------------------------------------------------------------------------ task 2


def test_precision_recall_not_done():
    with pytest.raises(NotDoneYet, match="precision"):
        ch01.check_precision_recall(None, None, Y_TRUE, Y_PRED)
    with pytest.raises(NotDoneYet, match="recall"):
        ch01.check_precision_recall(0.6, None, Y_TRUE, Y_PRED)


@pytest.mark.parametrize("precision, recall", [(0.6, 0.75), (np.float64(0.6), np.float64(0.75)),
                                              (np.float32(0.6), np.float32(0.75))])
def test_precision_recall_right_answers_pass(precision, recall, capsys):
    ch01.check_precision_recall(precision, recall, Y_TRUE, Y_PRED)
    assert capsys.readouterr().out.startswith("✔ precision = TP / (TP + FP) = 6/10 = 0.600")


def test_precision_recall_with_sklearn_passes(capsys):
    from sklearn.metrics import precision_score, recall_score

    ch01.check_precision_recall(precision_score(Y_TRUE, Y_PRED), recall_score(Y_TRUE, Y_PRED), Y_TRUE, Y_PRED)
    assert "✔" in capsys.readouterr().out


def test_precision_recall_swapped():
    fails(ch01.check_precision_recall, 0.75, 0.6, Y_TRUE, Y_PRED, match="Precision and recall are swapped")


def test_precision_recall_arguments_reversed_in_sklearn():
    from sklearn.metrics import precision_score, recall_score

    message = fails(ch01.check_precision_recall, precision_score(Y_PRED, Y_TRUE), recall_score(Y_PRED, Y_TRUE),
                    Y_TRUE, Y_PRED, match="swapped")
    assert "precision_score(y_true, y_pred)" in message


def test_precision_recall_percentages():
    fails(ch01.check_precision_recall, 60, 75, Y_TRUE, Y_PRED, match="looks like a percentage")


def test_precision_recall_accuracy_instead_of_precision():
    fails(ch01.check_precision_recall, 0.85, 0.75, Y_TRUE, Y_PRED, match=r"`precision` = 0.850 is the accuracy")


def test_precision_recall_f1_instead_of_recall():
    fails(ch01.check_precision_recall, 0.6, 2 * 6 / (2 * 6 + 4 + 2), Y_TRUE, Y_PRED, match="F1 score")


def test_precision_recall_wrong_positive_class():
    fails(ch01.check_precision_recall, 28 / 30, 0.75, Y_TRUE, Y_PRED, match="precision of class 0")


def test_precision_recall_same_value_for_both():
    fails(ch01.check_precision_recall, 0.75, 0.75, Y_TRUE, Y_PRED, match=r"`precision` = 0.750 is the recall")


def test_precision_recall_text_instead_of_number():
    fails(ch01.check_precision_recall, "0.6", 0.75, Y_TRUE, Y_PRED, match="should be a number, but it is a str")


def test_precision_recall_per_class_array():
    from sklearn.metrics import precision_score

    per_class = precision_score(Y_TRUE, Y_PRED, average=None)
    fails(ch01.check_precision_recall, per_class, 0.75, Y_TRUE, Y_PRED, match="should be a single number")


def test_precision_recall_unexplained_wrong_value():
    fails(ch01.check_precision_recall, 0.5, 0.75, Y_TRUE, Y_PRED, match=r"`precision` = 0.500 is not right")


# ------------------------------------------------------------------------------------------ task 3


def test_the_disk_data_separates_the_mistakes(depth_scores):
    """The dataset was chosen so that validation, training and test each point at a different depth."""
    by = {k: max(depth_scores, key=lambda d: depth_scores[d][k]) for k in ("train", "val", "test")}
    assert by == {"train": 14, "val": 7, "test": 6}
    best = depth_scores[7]
    assert len({round(best["val"], 4), round(best["test"], 4), round(best["train"], 4)}) == 3


def test_depth_not_done(disks, depth_scores):
    with pytest.raises(NotDoneYet, match="best_depth"):
        ch01.check_depth_choice(None, None, *disks)
    with pytest.raises(NotDoneYet, match="test_accuracy"):
        ch01.check_depth_choice(7, None, *disks)


def test_depth_right_answer_passes(disks, depth_scores, capsys):
    ch01.check_depth_choice(7, depth_scores[7]["test"], *disks)
    assert capsys.readouterr().out.startswith("✔ best_depth = 7: validation accuracy 0.922")


def test_depth_numpy_int_and_rounded_accuracy_pass(disks, depth_scores, capsys):
    ch01.check_depth_choice(np.int64(7), round(depth_scores[7]["test"], 3), *disks)
    assert "✔" in capsys.readouterr().out


def test_depth_refit_on_train_and_validation_is_accepted(disks, capsys):
    X_train, y_train, X_val, y_val, X_test, y_test = disks
    tree = DecisionTreeClassifier(max_depth=7, random_state=0).fit(pd.concat([X_train, X_val]),
                                                                   pd.concat([y_train, y_val]))
    ch01.check_depth_choice(7, tree.score(X_test, y_test), *disks)
    assert "✔" in capsys.readouterr().out


@pytest.mark.parametrize("depth", [14, 15])
def test_depth_chosen_by_training_score(disks, depth):
    fails(ch01.check_depth_choice, depth, None, *disks, match=r"highest \*training\* accuracy")


def test_depth_chosen_on_the_test_set(disks):
    fails(ch01.check_depth_choice, 6, None, *disks, match=r"best on the \*test\* set")


def test_depth_neither_best(disks):
    fails(ch01.check_depth_choice, 3, None, *disks, match="another depth reaches 0.922")


def test_depth_given_as_a_model(disks):
    tree = DecisionTreeClassifier(max_depth=7, random_state=0)
    fails(ch01.check_depth_choice, tree, None, *disks, match="not a model")


def test_depth_given_as_an_accuracy(disks):
    fails(ch01.check_depth_choice, 0.9225, None, *disks, match="looks like an accuracy")


def test_depth_given_as_text(disks):
    fails(ch01.check_depth_choice, "7", None, *disks, match="should be a whole number")


def test_depth_outside_the_range(disks):
    fails(ch01.check_depth_choice, 20, None, *disks, match="choose one of the depths you tried, 1 to 15")


def test_test_accuracy_is_the_validation_accuracy(disks, depth_scores):
    fails(ch01.check_depth_choice, 7, depth_scores[7]["val"], *disks, match=r"is the \*validation\* accuracy")


def test_test_accuracy_is_the_training_accuracy(disks, depth_scores):
    fails(ch01.check_depth_choice, 7, depth_scores[7]["train"], *disks, match=r"is the \*training\* accuracy")


def test_test_accuracy_is_the_best_test_score_of_any_depth(disks, depth_scores):
    fails(ch01.check_depth_choice, 7, depth_scores[6]["test"], *disks, match="best test score over all depths")


def test_test_accuracy_in_percent(disks, depth_scores):
    fails(ch01.check_depth_choice, 7, 100 * depth_scores[7]["test"], *disks, match="looks like a percentage")


# ------------------------------------------------------------------------------------------ task 4


def test_threshold_not_done(scored_val, best_threshold):
    y_val, proba = scored_val
    with pytest.raises(NotDoneYet, match="threshold"):
        ch01.check_threshold(None, None, y_val, proba)
    with pytest.raises(NotDoneYet, match="justification"):
        ch01.check_threshold(best_threshold, None, y_val, proba)


def test_threshold_right_answer_passes(scored_val, best_threshold, capsys):
    y_val, proba = scored_val
    ch01.check_threshold(best_threshold, JUSTIFICATION, y_val, proba)
    out = capsys.readouterr().out
    assert out.startswith("✔ threshold") and "recall 0.904" in out and "precision 0.481" in out


def test_threshold_a_little_below_the_best_passes(scored_val, best_threshold, capsys):
    y_val, proba = scored_val
    ch01.check_threshold(round(best_threshold, 3), JUSTIFICATION, y_val, proba)
    assert "✔" in capsys.readouterr().out


def test_threshold_default_misses_the_recall_requirement(scored_val):
    y_val, proba = scored_val
    fails(ch01.check_threshold, 0.5, JUSTIFICATION, y_val, proba, match="0.5 is the cut-off predict")


def test_threshold_too_high(scored_val):
    y_val, proba = scored_val
    fails(ch01.check_threshold, 0.2, JUSTIFICATION, y_val, proba, match="Lower the threshold")


def test_threshold_in_percent(scored_val):
    y_val, proba = scored_val
    fails(ch01.check_threshold, 5.1, JUSTIFICATION, y_val, proba, match="looks like a percentage")


def test_threshold_lower_than_needed(scored_val):
    y_val, proba = scored_val
    fails(ch01.check_threshold, 0.0, JUSTIFICATION, y_val, proba, match="you can raise the threshold")


def test_justification_too_short(scored_val, best_threshold):
    y_val, proba = scored_val
    fails(ch01.check_threshold, best_threshold, "Recall is above 0.9.", y_val, proba, match="has 4 words")


def test_justification_not_text(scored_val, best_threshold):
    y_val, proba = scored_val
    fails(ch01.check_threshold, best_threshold, 0.9, y_val, proba, match="should be text")


def test_justification_without_substance(scored_val, best_threshold):
    y_val, proba = scored_val
    filler = "I picked this number because it seemed like a good number to pick for this task and it works fine."
    fails(ch01.check_threshold, best_threshold, filler, y_val, proba, match="mention recall, precision")
