"""Self-checks for exercise 01, *ML essentials for operators*.

Each check recomputes the right answer from the data it is given, then diagnoses the usual mistakes
(features and labels mixed up, percentages, swapped precision and recall, choosing on the training or
the test score...) with a message that says what is wrong and how to fix it.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from coursekit.checks import (
    CheckFailed,
    close,
    diagnose,
    passed,
    require,
    require_done,
    require_fraction,
    require_prose,
    within,
)

__all__ = ["check_split", "check_precision_recall", "check_depth_choice", "check_threshold"]

ROUNDED = 0.005  # answers rounded to 2-3 decimals still count


# --------------------------------------------------------------------------------------------------
# Task 1: a stratified 60/20/20 split
# --------------------------------------------------------------------------------------------------

_ORDER_HINT = ("`train_test_split(X, y, ...)` returns four things in this order: "
               "X_first, X_second, y_first, y_second. Check the order in which you unpack them.")


def _require_ndim(value: Any, name: str, ndim: int) -> None:
    try:
        actual = np.ndim(value)
    except Exception:  # noqa: BLE001 - anything that is not array-like
        actual = None
    if actual == ndim:
        return
    want = "a 2-D table of features (rows × columns)" if ndim == 2 else "a 1-D column of labels"
    shape = getattr(value, "shape", None)
    got = f"shape {shape}" if shape is not None else f"a {type(value).__name__}"
    if actual is None or actual == 0:
        raise CheckFailed(f"`{name}` should be {want}, but it is {got}. Assign the result of train_test_split to it.")
    raise CheckFailed(f"`{name}` should be {want}, but it has {got}: features and labels look mixed up. {_ORDER_HINT}")


def _row_keys(X: Any) -> list:
    """Something that identifies each row: the DataFrame index, or the row's bytes for an array."""
    if hasattr(X, "index") and hasattr(X, "columns"):
        return list(X.index)
    return [np.asarray(row).tobytes() for row in np.asarray(X)]


def check_split(X_train, X_val, X_test, y_train, y_val, y_test, *, n_rows: int | None = None,
                fractions: tuple[float, float, float] = (0.6, 0.2, 0.2), tolerance: float = 0.01) -> None:
    """Three disjoint, stratified sets in the given proportions, with X and y of each set aligned."""
    sets = {"train": (X_train, y_train), "val": (X_val, y_val), "test": (X_test, y_test)}
    for part, (X, _) in sets.items():
        require_done(X, f"X_{part}")
    for part, (_, y) in sets.items():
        require_done(y, f"y_{part}")
    for part, (X, y) in sets.items():
        _require_ndim(X, f"X_{part}", 2)
        _require_ndim(y, f"y_{part}", 1)
    for part, (X, y) in sets.items():
        require(len(X) == len(y), f"`X_{part}` has {len(X)} rows but `y_{part}` has {len(y)}: "
                                  "each X must come with the y of the same split call. " + _ORDER_HINT)
        if hasattr(X, "index") and hasattr(y, "index"):
            require(X.index.equals(y.index),
                    f"The rows of `X_{part}` and `y_{part}` do not line up (their indexes differ): the label of a row "
                    "must stay with its features. Split X and y together, in the same train_test_split call.")

    keys = {part: _row_keys(X) for part, (X, _) in sets.items()}
    for a, b in (("train", "val"), ("train", "test"), ("val", "test")):
        shared = len(set(keys[a]) & set(keys[b]))
        require(shared == 0,
                f"{shared} rows are in both `X_{a}` and `X_{b}`: each row must be in exactly one set, or the "
                "evaluation sees rows the model trained on. Make the second split from what is left after taking "
                "the test set (not from the full data).")

    sizes = {part: len(X) for part, (X, _) in sets.items()}
    total = sum(sizes.values())
    if n_rows is not None:
        require(total == n_rows, f"Your three sets hold {total} rows together, but the data has {n_rows}: "
                                 "rows were lost or duplicated. Split all rows, once, into three parts.")
    got = {part: sizes[part] / total for part in sizes}
    want = dict(zip(("train", "val", "test"), fractions))
    if any(not close(got[p], want[p], abs=tolerance) for p in got):
        shown = " / ".join(f"{got[p]:.2f}" for p in ("train", "val", "test"))
        asked = " / ".join(f"{want[p]:.2f}" for p in ("train", "val", "test"))
        rest = 1 - want["test"]
        for part, other in (("val", "test"), ("test", "val")):
            if close(got[part], want[part] * rest, abs=tolerance) and close(got[other], want[other], abs=tolerance):
                raise CheckFailed(
                    f"`X_{part}` holds {got[part]:.2f} of the rows, not {want[part]:.2f}: you took {want[part]:.2f} of "
                    f"what was left after the first split ({rest:.2f} of the data). In the second split ask for "
                    f"{want[part]:.2f} / {rest:.2f} = {want[part] / rest:.2f} of the remainder.")
        if got["train"] < max(got["val"], got["test"]):
            raise CheckFailed(f"Train / validation / test hold {shown} of the rows, but the training set should be "
                              f"the biggest ({asked}). Check which part of each split you assign to which name.")
        raise CheckFailed(f"Train / validation / test hold {shown} of the rows; the task asks for {asked}.")

    labels = {part: np.asarray(y) for part, (_, y) in sets.items()}
    everything = np.concatenate(list(labels.values()))
    classes, counts = np.unique(everything, return_counts=True)
    classes = classes.tolist()  # plain Python values, so messages show 1, not np.int64(1)
    for part, y in labels.items():
        for cls, count in zip(classes, counts):
            share = count / total
            expected = share * len(y)
            actual = int(np.sum(y == cls))
            if abs(actual - expected) > 2.5:  # a stratified two-step split is off by at most ~2 rows
                raise CheckFailed(
                    f"The class balance differs between the sets: {share:.3f} of all rows have label {cls!r}, "
                    f"but {actual / len(y):.3f} of `y_{part}`. Pass `stratify=` with the labels to both "
                    "train_test_split calls (the labels of the data you are splitting each time).")
    minority = classes[int(np.argmin(counts))]
    passed(f"Split {sizes['train']} / {sizes['val']} / {sizes['test']} rows ({' / '.join(f'{got[p]:.2f}' for p in got)}), "
           f"disjoint, X and y aligned, and stratified: every set has about {counts.min() / total:.3f} "
           f"of label {minority!r}.")


# --------------------------------------------------------------------------------------------------
# Task 2: precision and recall by hand
# --------------------------------------------------------------------------------------------------

def _confusion(y_true: Any, y_pred: Any) -> tuple[int, int, int, int]:
    t, p = np.asarray(y_true), np.asarray(y_pred)
    require(t.shape == p.shape, f"`y_true` and `y_pred` should have the same length ({t.shape} vs {p.shape}).")
    return (int(np.sum((t == 1) & (p == 1))), int(np.sum((t == 0) & (p == 1))),
            int(np.sum((t == 1) & (p == 0))), int(np.sum((t == 0) & (p == 0))))


def check_precision_recall(precision, recall, y_true, y_pred) -> None:
    """Precision and recall of *y_pred* against *y_true*, class 1 positive, as fractions."""
    require_done(precision, "precision")
    require_done(recall, "recall")
    p = require_fraction(precision, "precision")
    r = require_fraction(recall, "recall")
    tp, fp, fn, tn = _confusion(y_true, y_pred)
    right_p, right_r = tp / (tp + fp), tp / (tp + fn)
    if close(p, right_p, abs=ROUNDED) and close(r, right_r, abs=ROUNDED):
        passed(f"precision = TP / (TP + FP) = {tp}/{tp + fp} = {right_p:.3f}; "
               f"recall = TP / (TP + FN) = {tp}/{tp + fn} = {right_r:.3f}.")
        return
    if close(p, right_r, abs=ROUNDED) and close(r, right_p, abs=ROUNDED):
        raise CheckFailed(
            "Precision and recall are swapped. Precision = TP / (TP + FP): of the disks you flagged, how many really "
            "failed. Recall = TP / (TP + FN): of the disks that failed, how many you flagged. (Calling "
            "precision_score(y_pred, y_true) with the arguments reversed swaps them too: the signature is "
            "precision_score(y_true, y_pred).)")
    n = tp + fp + fn + tn
    impostors = [  # (what the mistake gives, what it is)
        ((tp + tn) / n, "the accuracy, (TP + TN) / all: it counts correct 0s too"),
        (2 * tp / (2 * tp + fp + fn), "the F1 score, the harmonic mean of precision and recall"),
        (tn / (tn + fn), "the precision of class 0: class 1 (failed) is the positive class here"),
        (tn / (tn + fp), "the recall of class 0: class 1 (failed) is the positive class here"),
    ]
    for value, name, formula, right, other, other_name in (
            (p, "precision", "TP / (TP + FP)", right_p, right_r, "recall"),
            (r, "recall", "TP / (TP + FN)", right_r, right_p, "precision")):
        if close(value, right, abs=ROUNDED):
            continue
        then = f" {name.capitalize()} = {formula}."
        diagnose(value, name, right, [(other, f"the {other_name}, not the {name}"), *impostors],
                 close=within(abs=ROUNDED), template="`{name}` = {value:.3f} is {message}." + then)
        raise CheckFailed(f"`{name}` = {value:.3f} is not right.{then[:-1]}, where TP counts rows with y_true = 1 and "
                          "y_pred = 1, FP rows with y_true = 0 and y_pred = 1, FN rows with y_true = 1 and y_pred = 0.")


# --------------------------------------------------------------------------------------------------
# Task 3: choose max_depth on validation, then look at the test set once
# --------------------------------------------------------------------------------------------------

def _tree_scores(X_train, y_train, X_val, y_val, X_test, y_test, depths, random_state):
    from sklearn.tree import DecisionTreeClassifier

    scores = {}
    for depth in depths:
        tree = DecisionTreeClassifier(max_depth=depth, random_state=random_state).fit(X_train, y_train)
        scores[depth] = {"train": tree.score(X_train, y_train), "val": tree.score(X_val, y_val),
                         "test": tree.score(X_test, y_test)}
    return scores


def _as_depth(value: Any, depths: list[int]) -> int:
    if hasattr(value, "get_params"):
        raise CheckFailed("`best_depth` should be the number you chose for max_depth, not a model. "
                          "(A fitted tree's setting is in `tree.max_depth`.)")
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise CheckFailed(f"`best_depth` should be a whole number (a max_depth), but it is a {type(value).__name__}: "
                          f"{value!r}.")
    if not float(value).is_integer():
        hint = " That looks like an accuracy: give the depth that reached it." if 0 < value < 1 else ""
        raise CheckFailed(f"`best_depth` is {value!r}, but max_depth is a whole number.{hint}")
    depth = int(value)
    require(depth in depths, f"`best_depth` is {depth}; choose one of the depths you tried, {depths[0]} to {depths[-1]}.")
    return depth


def check_depth_choice(best_depth, test_accuracy, X_train, y_train, X_val, y_val, X_test, y_test, *,
                       depths=range(1, 16), random_state: int = 0) -> None:
    """*best_depth* maximises validation accuracy; *test_accuracy* is that tree's accuracy on the test set."""
    require_done(best_depth, "best_depth")
    depths = list(depths)
    depth = _as_depth(best_depth, depths)
    scores = _tree_scores(X_train, y_train, X_val, y_val, X_test, y_test, depths, random_state)
    best_val = max(s["val"] for s in scores.values())
    best_train = max(s["train"] for s in scores.values())
    best_test = max(s["test"] for s in scores.values())
    chosen = scores[depth]
    if chosen["val"] < best_val:
        if chosen["train"] == best_train:
            raise CheckFailed(
                f"Depth {depth} has the highest *training* accuracy ({chosen['train']:.3f}), but training accuracy "
                "only rises with depth: a deep tree memorises its training rows. Its validation accuracy is "
                f"{chosen['val']:.3f}. Choose the depth with the highest *validation* accuracy.")
        if chosen["test"] == best_test:
            raise CheckFailed(
                f"Depth {depth} is the best on the *test* set ({chosen['test']:.3f}). Choosing on the test set makes "
                "its score optimistic and leaves you no honest estimate. Choose on validation accuracy, then look at "
                "the test set once.")
        raise CheckFailed(f"Depth {depth} has validation accuracy {chosen['val']:.3f}, but another depth reaches "
                          f"{best_val:.3f}. Compare validation accuracy for every depth from {depths[0]} to "
                          f"{depths[-1]} (with random_state={random_state}).")

    require_done(test_accuracy, "test_accuracy")
    acc = require_fraction(test_accuracy, "test_accuracy")
    import pandas as pd  # only to join train and validation the way the learner would
    from sklearn.tree import DecisionTreeClassifier

    X_both = pd.concat([X_train, X_val]) if hasattr(X_train, "iloc") else np.concatenate([X_train, X_val])
    y_both = pd.concat([y_train, y_val]) if hasattr(y_train, "iloc") else np.concatenate([y_train, y_val])
    refit = DecisionTreeClassifier(max_depth=depth, random_state=random_state).fit(X_both, y_both)
    accepted = [chosen["test"], refit.score(X_test, y_test)]
    one_row = within(abs=0.001)  # one test row is 1 / len(X_test)
    if not any(one_row(acc, a) for a in accepted):
        diagnose(acc, "test_accuracy", accepted[0], [
            (chosen["val"], f"is the *validation* accuracy of depth {depth}. Score the chosen tree once on X_test, "
                            "y_test."),
            (chosen["train"], f"is the *training* accuracy of depth {depth}. Score the chosen tree once on X_test, "
                              "y_test."),
            (best_test, f"is the best test score over all depths, not the score of the tree you chose (depth {depth}). "
                        "Report the test score of your choice only."),
        ], close=one_row, template="`{name}` = {value:.3f} {message}")
        raise CheckFailed(f"`test_accuracy` = {acc:.3f} is not the test accuracy of a depth-{depth} tree trained on "
                          f"the training set with random_state={random_state}.")
    passed(f"best_depth = {depth}: validation accuracy {chosen['val']:.3f} (training {chosen['train']:.3f}); "
           f"test accuracy {acc:.3f}, measured once, after choosing.")


# --------------------------------------------------------------------------------------------------
# Task 4: a decision threshold for an operating requirement, with a justification
# --------------------------------------------------------------------------------------------------

_TERMS = ("recall", "precision", "false alarm", "false positive", "miss", "missed", "false negative")


def _precision_recall_at(y_true: np.ndarray, proba: np.ndarray, threshold: float) -> tuple[float, float, int, int]:
    flagged = proba >= threshold
    tp = int(np.sum(flagged & (y_true == 1)))
    fp = int(np.sum(flagged & (y_true == 0)))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / int(np.sum(y_true == 1))
    return precision, recall, tp + fp, fp


def check_threshold(threshold, justification, y_val, proba_val, *, min_recall: float = 0.9,
                    precision_slack: float = 0.01, min_words: int = 15) -> None:
    """Recall >= *min_recall* on validation with (nearly) the best precision possible, plus a justification."""
    require_done(threshold, "threshold")
    t = require_fraction(threshold, "threshold")
    y, proba = np.asarray(y_val), np.asarray(proba_val, dtype=float)
    precision, recall, n_flagged, false_alarms = _precision_recall_at(y, proba, t)
    if recall < min_recall:
        default = " (0.5 is the cut-off predict() uses, which is not tuned to your requirement.)" if t == 0.5 else ""
        raise CheckFailed(f"At threshold {t:g} the model flags only {recall:.3f} of the failing disks (recall); the "
                          f"requirement is at least {min_recall:g}. Lower the threshold: more disks are flagged and "
                          f"recall rises.{default}")
    best = max(p for p, r, _, _ in (_precision_recall_at(y, proba, c) for c in np.unique(proba)) if r >= min_recall)
    if precision < best - precision_slack:
        raise CheckFailed(f"Recall is {recall:.3f}, which meets the requirement, but you can raise the threshold: "
                          f"with recall still at least {min_recall:g}, precision can reach {best:.3f} (yours is "
                          f"{precision:.3f}). Each extra false alarm is a disk someone checks for nothing.")
    require_prose(justification, "justification", min_words,
                  f"write 2-3 sentences (at least {min_words} words): the requirement, the recall and precision you "
                  "get, and what the false alarms cost.", mention=_TERMS,
                  mention_hint="Your justification should say what the threshold trades: mention recall, precision, "
                               "false alarms or missed failures.")
    passed(f"threshold {t:g}: recall {recall:.3f} (at least {min_recall:g}) and precision {precision:.3f} on "
           f"validation; {n_flagged} disks flagged, {false_alarms} of them false alarms.")
