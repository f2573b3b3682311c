"""Self-checks for exercise 06, *Pipelines, orchestration and reproducibility*.

Each check runs the learner's function on small inputs it builds itself, in a temporary folder, and
diagnoses the usual mistakes: hashing a file's path or metadata instead of its content, hashing rows in
file order, appending instead of overwriting, half-written outputs after a crash, resuming a training
loop without its random-number state, cache keys that never hit or never miss, retrying failures that
are not transient.

The exercise's world, :mod:`coursekit.worlds.ch06`, is re-exported here: :class:`FlakyDisk` (a disk that can
fail in the middle of a write) with :func:`run_with_retries` (what an orchestrator does), :class:`Preempted` (the
exception a simulated spot-instance reclaim raises: chapter 06's own class), and the data the checks use.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from coursekit.checks import (
    CheckFailed,
    call_learner,
    passed,
    require,
    require_done,
    require_function,
    require_names,
    require_prose,
)
from coursekit.worlds.ch06 import FlakyDisk, Preempted, daily_scores, disk_table, run_with_retries, training_data

__all__ = [
    "FlakyDisk", "run_with_retries", "Preempted",
    "CACHE_KEY_PARTS", "FAILURE_KINDS", "STEPS",
    "check_dataset_version", "check_export", "check_resume", "check_design",
]


# --------------------------------------------------------------------------------------------------
# Task 1: a content hash for a dataset version
# --------------------------------------------------------------------------------------------------

def _version_of(fn: Callable, path: Path, what: str) -> str:
    value = call_learner(fn, path, name="dataset_version", where=f"on {what}", signature="dataset_version(path)")
    if isinstance(value, bytes):
        raise CheckFailed("`dataset_version` returned bytes: return a hex string, e.g. `hashlib.sha256(...).hexdigest()`.")
    require(isinstance(value, str) and value != "",
            f"`dataset_version` should return a non-empty hex string, but it returned {type(value).__name__}: {value!r}.")
    require(re.fullmatch(r"[0-9a-f]{12,}", value) is not None,
            f"`dataset_version` returned {value!r}: return at least 12 lowercase hex characters of a digest "
            "(e.g. `hashlib.sha256(payload).hexdigest()`), not Python's `hash()`, which changes between processes.")
    return value


def check_dataset_version(dataset_version: Callable[[Path], str] | None) -> None:
    """The version must depend on the data's content only: not on its path, row order or column order."""
    require_function(dataset_version, "dataset_version", shape="(path to a CSV file) -> hex string")
    df = disk_table()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        original = folder / "export.csv"
        df.to_csv(original, index=False)
        first = _version_of(dataset_version, original, "the reference file")
        require(_version_of(dataset_version, original, "the same file again") == first,
                "Two calls on the same, unchanged file gave different versions: do not mix time, randomness or "
                "Python's `hash()` into the version.")

        copy = folder / "copy_of_export.csv"
        copy.write_bytes(original.read_bytes())
        os.utime(copy, (1_000_000_000, 1_000_000_000))
        require(_version_of(dataset_version, copy, "a byte-for-byte copy") == first,
                "A byte-for-byte copy of the file under another name got a different version: you are hashing the "
                "path or file metadata (name, size, modification time), not the content. Read the data and hash that.")

        changed = df.copy()
        changed.loc[7, "temp_c"] = changed.loc[7, "temp_c"] + 0.5
        changed.to_csv(original, index=False)
        require(_version_of(dataset_version, original, "a file with one changed value") != first,
                "Changing one temperature did not change the version: the hash must cover every value, not the "
                "shape, the column names or the file size.")

        swapped = df.copy()
        swapped.loc[[3, 11], "temp_c"] = swapped.loc[[11, 3], "temp_c"].to_numpy()
        swapped.to_csv(original, index=False)
        require(_version_of(dataset_version, original, "a file with two values swapped") != first,
                "Swapping the temperatures of two disks changed the data but not your version: you sort each "
                "column separately, which tears rows apart. Sort whole rows (e.g. `sort_values` by all columns).")

        shuffled = df.sample(frac=1.0, random_state=1)
        shuffled.to_csv(original, index=False)
        require(_version_of(dataset_version, original, "the rows in another order") == first,
                "The same rows in a different order got a different version: a re-export that only reorders rows "
                "would look like new data and invalidate every cache. Sort the rows into a canonical order first.")

        reordered = df[list(reversed(df.columns))]
        reordered.to_csv(original, index=False)
        require(_version_of(dataset_version, original, "the columns in another order") == first,
                "The same table with its columns in another order got a different version: sort the columns by "
                "name before hashing (e.g. `df[sorted(df.columns)]`).")
    passed("dataset_version depends on content only: same rows in any order, any file name → same version; "
           "any changed value → new version.")


# --------------------------------------------------------------------------------------------------
# Task 2: an idempotent, retry-safe export step
# --------------------------------------------------------------------------------------------------

def _rows_of(folder: Path) -> tuple[pd.DataFrame, list[Path]]:
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    frames = []
    for path in files:
        try:
            frames.append(pd.read_csv(path))
        except Exception:  # noqa: BLE001 - a half-written or non-CSV file
            frames.append(pd.DataFrame({"__unreadable__": [path.name]}))
    return (pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()), files


def _count_rows(found: pd.DataFrame, expected: pd.DataFrame) -> int:
    """How many times the expected (disk_id, score) rows appear, or -1 if they appear partially."""
    if found.empty or not {"disk_id", "score"} <= set(found.columns):
        return 0
    ids = pd.to_numeric(found["disk_id"], errors="coerce")      # a repeated header row becomes NaN
    pairs = list(zip(ids, pd.to_numeric(found["score"], errors="coerce").round(3)))
    want = list(zip(expected["disk_id"], expected["score"]))
    counts = {row: pairs.count(row) for row in want}
    values = set(counts.values())
    return values.pop() if len(values) == 1 else -1


def _call_export(fn, day, scores, folder, disk):
    """The learner's export; a ConnectionError (the disk failing half-way) is the check's business."""
    return call_learner(fn, day, scores, folder, disk, name="export_scores", let_through=(ConnectionError,),
                        signature="export_scores(day, scores, out_dir, disk)")


def check_export(export_scores: Callable | None) -> None:
    """Re-running and retrying the step must leave exactly one complete copy of each day's scores."""
    require_function(export_scores, "export_scores", shape="(day, scores, out_dir, disk)")
    day1, day2 = "2026-11-02", "2026-11-03"
    s1, s2 = daily_scores(1), daily_scores(2)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "clean"
        disk = FlakyDisk()
        _call_export(export_scores, day1, s1, folder, disk)
        require(disk.calls > 0, "`export_scores` never called `disk.write_text`: write through the `disk` object, so "
                                "that the check can simulate a crash in the middle of a write.")
        found, files = _rows_of(folder)
        require(files, "`export_scores` wrote no file under `out_dir`.")
        require(_count_rows(found, s1) == 1,
                "After one run the day's scores are not in `out_dir` exactly once: write `scores` as CSV with its "
                "`disk_id` and `score` columns.")
        expected = {p.relative_to(folder) for p in files}

        _call_export(export_scores, day1, s1, folder, FlakyDisk())
        found, files = _rows_of(folder)
        times = _count_rows(found, s1)
        require(times < 2, f"Running the same day twice left its scores in `out_dir` {times} times: the step appends. "
                           "Write each day to its own file and overwrite it, so a re-run replaces instead of adding.")
        require(times == 1, "After running the same day twice, its scores are no longer in `out_dir` exactly once "
                            "(rows are missing or repeated): each run should replace the day's file with a complete one.")

        _call_export(export_scores, day2, s2, folder, FlakyDisk())
        found, files = _rows_of(folder)
        require(_count_rows(found, s1) == 1 and _count_rows(found, s2) == 1,
                "After exporting a second day, each day's scores should be there once. One day overwrote the "
                "other: put the day in the file name (a partition such as `day=2026-11-02/scores.csv`).")

        crash = Path(tmp) / "crash"
        disk = FlakyDisk(fail_on={1})
        try:
            _call_export(export_scores, day1, s1, crash, disk)
        except ConnectionError:
            pass
        else:
            raise CheckFailed("The write failed half-way, but `export_scores` returned normally: let the exception "
                              "propagate, so the orchestrator knows the step failed and retries it.")
        torn = [str(rel) for rel in sorted(expected) if (crash / rel).exists()
                and _count_rows(_rows_of_file(crash / rel), s1) != 1]
        require(not torn,
                f"A crash in the middle of the write left a half-written `{torn[0] if torn else ''}` where readers "
                "look for the output: write to a temporary file next to it, then `os.replace(tmp, target)`, "
                "which is atomic, so readers see the old file or the new one, never half of one.")

        run_with_retries(lambda: _call_export(export_scores, day1, s1, crash, disk))
        found, files = _rows_of(crash)
        leftovers = sorted(str(p.relative_to(crash)) for p in files if p.relative_to(crash) not in expected)
        require(not leftovers,
                f"After a crash and a successful retry, a leftover file remains (`{leftovers[0] if leftovers else ''}`): "
                "use a fixed temporary name (e.g. the target name + '.tmp') so that the retry overwrites it, "
                "or delete it when the write fails.")
        require(_count_rows(found, s1) == 1, "After a crash and a retry the day's scores are not there exactly once.")
    passed("export_scores is idempotent and crash-safe: re-runs and retries leave one complete file per day.")


def _rows_of_file(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path)
    except Exception:  # noqa: BLE001
        return pd.DataFrame()


# --------------------------------------------------------------------------------------------------
# Task 3: checkpoint and resume
# --------------------------------------------------------------------------------------------------

def _train_call(fn, X, y, checkpoint, **kwargs):
    """The learner's training; a Preempted (the simulated reclaim) is the check's business."""
    result = call_learner(fn, X, y, checkpoint, name="train_with_checkpoints", let_through=(Preempted,),
                          signature="train_with_checkpoints(X, y, checkpoint, epochs=6, preempt_at=None)", **kwargs)
    require(isinstance(result, tuple) and len(result) == 2,
            "`train_with_checkpoints` should return a tuple (model, epochs_run_in_this_call).")
    model, epochs_run = result
    require(hasattr(model, "coef_"), "The first item returned should be the fitted SGDClassifier.")
    return model, int(epochs_run)


def check_resume(train_with_checkpoints: Callable | None, epochs: int = 6, preempt_at: int = 3) -> None:
    """An interrupted-then-resumed run must end with exactly the model of an uninterrupted run."""
    require_function(train_with_checkpoints, "train_with_checkpoints", shape="(X, y, checkpoint, epochs, preempt_at)")
    X, y = training_data()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        full, ran = _train_call(train_with_checkpoints, X, y, folder / "a.ckpt", epochs=epochs)
        require(ran == epochs, f"An uninterrupted run from no checkpoint should run all {epochs} epochs; it reports {ran}.")

        checkpoint = folder / "b.ckpt"
        try:
            _train_call(train_with_checkpoints, X, y, checkpoint, epochs=epochs, preempt_at=preempt_at)
        except Preempted:
            pass
        else:
            raise CheckFailed(f"With preempt_at={preempt_at} the run should stop with `Preempted` before epoch "
                              f"{preempt_at}: keep the given `if epoch == preempt_at: raise Preempted(...)` line.")
        require(checkpoint.exists(), "After the preemption there is no checkpoint file: save one at the end of every "
                                     "epoch (to a temporary file, then `os.replace`).")

        resumed, ran = _train_call(train_with_checkpoints, X, y, checkpoint, epochs=epochs)
        require(ran != epochs, f"The resumed run ran all {epochs} epochs again: it started from scratch. Load the "
                               "checkpoint when the file exists and continue from the epoch stored in it.")
        require(ran == epochs - preempt_at,
                f"The resumed run ran {ran} epochs; after a preemption before epoch {preempt_at} it should run the "
                f"remaining {epochs - preempt_at}. Store the index of the next epoch to run, saved after each epoch ends.")
        same = np.array_equal(full.coef_, resumed.coef_) and np.array_equal(full.intercept_, resumed.intercept_)
        require(same,
                "The resumed model differs from the uninterrupted one. The model and the epoch were restored, so "
                "the shuffling differs: save the random generator's state (`rng.bit_generator.state`) in the "
                "checkpoint and restore it on resume, instead of creating a fresh generator.")
    passed("Interrupted + resumed training gives bit-for-bit the same model as an uninterrupted run.")


# --------------------------------------------------------------------------------------------------
# Task 4: caching keys and retry policy for a retraining DAG (open)
# --------------------------------------------------------------------------------------------------

STEPS = ("ingest", "validate", "features", "train", "evaluate", "register")

CACHE_KEY_PARTS = {
    "source_content_hash": "hash of the raw export's content (canonical rows and columns)",
    "upstream_hashes": "content hashes of the outputs of the steps this step reads",
    "code_version": "version of this step's code (git commit of its module, or a version you bump)",
    "params": "this step's parameters (hyperparameters, thresholds, feature list)",
    "seed": "the random seed the step uses",
    "library_versions": "versions of the libraries that compute the output (scikit-learn, numpy...)",
    "model_hash": "content hash of the model file",
    "run_id": "the orchestrator's id for this run",
    "timestamp": "when the step runs",
    "source_path": "path or URL of the raw export",
    "file_mtime": "modification time of the raw export",
}

FAILURE_KINDS = {
    "transient_io": "timeouts, connection resets, 5xx from object storage or a database",
    "preemption": "the (spot) machine was reclaimed or the pod evicted",
    "validation_error": "the data broke a validation rule",
    "code_bug": "an exception from a bug in the step's code",
    "quality_gate_failed": "the model's metrics are below the bar",
}

_NEVER_HIT = {"run_id": "changes on every run", "timestamp": "changes on every run"}
_METADATA = {"source_path": "a path says where data is, not what it is",
             "file_mtime": "touching a file changes it without changing the data"}
_DETERMINISTIC = {"validation_error", "code_bug", "quality_gate_failed"}
# What the train step's key needs besides the upstream hashes and the code version, and why
_TRAIN_KEY = {"params": "a new hyperparameter value would reuse the old model",
              "seed": "a different seed gives a different model",
              "library_versions": "a scikit-learn upgrade can change the fitted model"}


def _as_set(value: Any, where: str, example: str) -> set[str]:
    return set(require_names(value, where, example=example, kind="names"))


def check_design(design: dict | None, justification: str | None, min_words: int = 30) -> None:
    """Constraints every sound design meets; the rest is the learner's judgement, argued in the justification."""
    require_done(design, "design")
    require_done(justification, "justification")
    require(isinstance(design, dict), f"`design` should be a dict keyed by step name, not a {type(design).__name__}.")
    missing = [s for s in STEPS if s not in design]
    require(not missing, f"`design` has no entry for {missing}: describe all six steps {list(STEPS)}.")
    keys, retried = {}, {}
    for step in STEPS:
        entry = design[step]
        require(isinstance(entry, dict) and {"cache_key", "retries", "retry_on"} <= set(entry),
                f"design['{step}'] should be a dict with the keys 'cache_key', 'retries' and 'retry_on'.")
        key = keys[step] = _as_set(entry["cache_key"], f"design['{step}']['cache_key']", "'code_version'")
        retry_on = retried[step] = _as_set(entry["retry_on"], f"design['{step}']['retry_on']", "'transient_io'")
        retries = entry["retries"]
        unknown = sorted(key - set(CACHE_KEY_PARTS))
        require(not unknown, f"design['{step}']['cache_key'] has unknown parts {unknown}; use names from CACHE_KEY_PARTS.")
        unknown = sorted(retry_on - set(FAILURE_KINDS))
        require(not unknown, f"design['{step}']['retry_on'] has unknown kinds {unknown}; use names from FAILURE_KINDS.")
        require(isinstance(retries, int) and not isinstance(retries, bool) and 0 <= retries <= 5,
                f"design['{step}']['retries'] should be an integer from 0 to 5 (more retries hide real problems), "
                f"not {retries!r}.")
        require(key, f"design['{step}']['cache_key'] is empty: every run would reuse the first output forever.")
        for part, why in _NEVER_HIT.items():
            require(part not in key, f"'{part}' in the cache key of {step}: it {why}, so the cache never hits. "
                                     "A cache key lists what the output depends on, not when or by whom it was made.")
        for part, why in _METADATA.items():
            require(part not in key, f"'{part}' in the cache key of {step}: {why}. Key on content hashes instead.")
        require("code_version" in key or step == "register",
                f"The cache key of {step} lacks 'code_version': after a fix to the step's code, the old, wrong "
                "output would still be served from the cache.")
        deterministic = sorted(retry_on & _DETERMINISTIC)
        require(not deterministic,
                f"{step} retries on {deterministic}: that failure is deterministic, so every retry fails the same "
                "way, only later. Retry transient failures only; alert (or fail fast) on the others.")
        require((retries > 0) == bool(retry_on),
                f"design['{step}'] has retries={retries} but retry_on={sorted(retry_on)}: retry a step only for "
                "named failure kinds, and give a positive number of retries for each step that has some.")
    require("source_content_hash" in keys["ingest"],
            "The ingest key lacks 'source_content_hash': a new export with different content would be skipped.")
    for step in ("validate", "features", "train", "evaluate"):
        require("upstream_hashes" in keys[step],
                f"The cache key of {step} lacks 'upstream_hashes': with new data upstream it would reuse an output "
                "computed from the old data.")
    for part, why in _TRAIN_KEY.items():
        require(part in keys["train"], f"The train key lacks '{part}': {why}.")
    require(keys["register"] & {"model_hash", "upstream_hashes"},
            "The register key should identify the model (e.g. 'model_hash'), so registering the same model twice "
            "is a no-op instead of a new version.")
    require("preemption" in retried["train"],
            "train does not retry on 'preemption': on spot machines, a reclaimed node is the most common failure "
            "of a long training step, and a retry that resumes from a checkpoint is cheap.")
    require_prose(justification, "justification", min_words,
                  f"write at least {min_words}: why these keys, why these retries, and what the on-call engineer "
                  "sees when a step fails.")
    passed("The design keys every step on what its output depends on and retries only transient failures.")
