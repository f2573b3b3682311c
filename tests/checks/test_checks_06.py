"""Exercise 06 self-checks: known-wrong answers get their specific message, right answers pass."""

from __future__ import annotations

import copy
import hashlib
import os
import uuid
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import SGDClassifier

from coursekit.checks import NotDoneYet, ch06
from coursekit.checks.ch06 import Preempted
from tests.support.checks import fails, passes


# ------------------------------------------------------------------------------------------ task 1
def _canonical_version(path):
    df = pd.read_csv(path)
    columns = sorted(df.columns)
    canonical = df[columns].sort_values(columns, kind="mergesort", ignore_index=True)
    return hashlib.sha256(canonical.to_csv(index=False).encode()).hexdigest()


def test_dataset_version_right_answer_passes(capsys):
    passes(ch06.check_dataset_version, capsys, _canonical_version)


def test_dataset_version_truncated_digest_passes():
    ch06.check_dataset_version(lambda p: _canonical_version(p)[:12])


@pytest.mark.parametrize("wrong, message", [
    (lambda p: hashlib.sha256(str(p).encode()).hexdigest(), "hashing the path or file metadata"),
    (lambda p: hashlib.sha256(f"{Path(p).name}{os.stat(p).st_mtime}".encode()).hexdigest(), "hashing the path"),
    (lambda p: hashlib.sha256(str(os.stat(p).st_size).encode()).hexdigest(), "did not change the version"),
    (lambda p: hashlib.sha256(str(pd.read_csv(p).shape).encode()).hexdigest(), "did not change the version"),
    (lambda p: hashlib.sha256(np.sort(pd.read_csv(p)[sorted(pd.read_csv(p).columns)].to_numpy(), axis=0).tobytes())
     .hexdigest(), "sort each column separately"),
    (lambda p: hashlib.sha256(Path(p).read_bytes()).hexdigest(), "same rows in a different order"),
    (lambda p: hashlib.sha256(pd.read_csv(p).sort_values("disk_id").to_csv(index=False).encode()).hexdigest(),
     "columns in another order"),
    (lambda p: uuid.uuid4().hex, "Two calls on the same, unchanged file"),
    (lambda p: str(hash(Path(p).read_bytes())), "not Python's `hash()`"),
    (lambda p: hashlib.sha256(Path(p).read_bytes()).digest(), "returned bytes"),
    (lambda p: None, "non-empty hex string"),
])
def test_dataset_version_wrong_answers(wrong, message):
    fails(ch06.check_dataset_version, wrong, match=message.replace("(", r"\(").replace(")", r"\)").replace("`", "."))


def test_dataset_version_not_done():
    with pytest.raises(NotDoneYet):
        ch06.check_dataset_version(None)


def test_dataset_version_crash_is_reported():
    def crashes(path):
        raise KeyError("failed")
    fails(ch06.check_dataset_version, crashes, match="raised KeyError")


# ------------------------------------------------------------------------------------------ task 2
def export_right(day, scores, out_dir, disk):
    target = Path(out_dir) / f"day={day}" / "scores.csv"
    tmp = target.with_name(target.name + ".tmp")
    disk.write_text(tmp, scores.to_csv(index=False))
    os.replace(tmp, target)
    return target


def export_append(day, scores, out_dir, disk):
    disk.append_text(Path(out_dir) / "scores.csv", scores.assign(day=day).to_csv(index=False))


def export_one_file(day, scores, out_dir, disk):
    target = Path(out_dir) / "scores.csv"
    tmp = target.with_name("scores.csv.tmp")
    disk.write_text(tmp, scores.to_csv(index=False))
    os.replace(tmp, target)


def export_direct(day, scores, out_dir, disk):
    disk.write_text(Path(out_dir) / f"{day}.csv", scores.to_csv(index=False))


def export_random_tmp(day, scores, out_dir, disk):
    target = Path(out_dir) / f"{day}.csv"
    tmp = Path(out_dir) / f"{uuid.uuid4().hex}.tmp"
    disk.write_text(tmp, scores.to_csv(index=False))
    os.replace(tmp, target)


def export_swallows(day, scores, out_dir, disk):
    try:
        export_right(day, scores, out_dir, disk)
    except ConnectionError:
        pass


def export_bypasses_disk(day, scores, out_dir, disk):
    target = Path(out_dir) / f"{day}.csv"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(scores.to_csv(index=False))


def export_wrong_columns(day, scores, out_dir, disk):
    disk.write_text(Path(out_dir) / f"{day}.csv", scores.to_csv(index=False, header=False))


def test_export_right_answer_passes(capsys):
    passes(ch06.check_export, capsys, export_right)


@pytest.mark.parametrize("wrong, message", [
    (export_append, "the step appends"),
    (export_one_file, "One day overwrote the other"),
    (export_direct, "half-written"),
    (export_random_tmp, "leftover file remains"),
    (export_swallows, "returned normally"),
    (export_bypasses_disk, "never called `disk.write_text`"),
    (export_wrong_columns, "exactly once"),
])
def test_export_wrong_answers(wrong, message):
    fails(ch06.check_export, wrong, match=message.replace("`", "."))


def test_export_not_done():
    with pytest.raises(NotDoneYet):
        ch06.check_export(None)


def test_flaky_disk_fails_half_way(tmp_path):
    disk = ch06.FlakyDisk(fail_on={1})
    with pytest.raises(ConnectionResetError):
        disk.write_text(tmp_path / "f.txt", "abcdef")
    assert (tmp_path / "f.txt").read_text() == "abc"
    disk.write_text(tmp_path / "f.txt", "abcdef")
    assert (tmp_path / "f.txt").read_text() == "abcdef"


def test_run_with_retries_gives_up_after_attempts():
    calls = []
    def always_fails():
        calls.append(1)
        raise TimeoutError("slow")
    with pytest.raises(TimeoutError):
        ch06.run_with_retries(always_fails, attempts=3)
    assert len(calls) == 3


# ------------------------------------------------------------------------------------------ task 3
def make_trainer(load=True, save=True, restore_rng=True, next_epoch_offset=1, preempt=True):
    def train(X, y, checkpoint, epochs=6, preempt_at=None):
        checkpoint = Path(checkpoint)
        rng = np.random.default_rng(0)
        model, start = SGDClassifier(loss="log_loss", alpha=1e-4, random_state=0), 0
        if load and checkpoint.exists():
            state = joblib.load(checkpoint)
            model, start = state["model"], state["next_epoch"]
            if restore_rng:
                rng.bit_generator.state = state["rng_state"]
        for epoch in range(start, epochs):
            if preempt and epoch == preempt_at:
                raise Preempted("reclaimed")
            for batch in np.array_split(rng.permutation(len(X)), 10):
                model.partial_fit(X[batch], y[batch], classes=np.array([0, 1]))
            if save:
                tmp = checkpoint.with_name(checkpoint.name + ".tmp")
                joblib.dump({"model": model, "next_epoch": epoch + next_epoch_offset,
                             "rng_state": rng.bit_generator.state}, tmp)
                os.replace(tmp, checkpoint)
        return model, epochs - start
    return train


def test_resume_right_answer_passes(capsys):
    passes(ch06.check_resume, capsys, make_trainer())


@pytest.mark.parametrize("wrong, message", [
    (make_trainer(save=False), "no checkpoint file"),
    (make_trainer(load=False), "started from scratch"),
    (make_trainer(restore_rng=False), r"random generator's state"),
    (make_trainer(next_epoch_offset=0), "ran 4 epochs"),
    (make_trainer(preempt=False), "should stop with `Preempted`".replace("`", ".")),
])
def test_resume_wrong_answers(wrong, message):
    fails(ch06.check_resume, wrong, match=message)


def test_resume_wrong_return_value():
    def returns_model_only(X, y, checkpoint, epochs=6, preempt_at=None):
        return make_trainer()(X, y, checkpoint, epochs, preempt_at)[0]
    fails(ch06.check_resume, returns_model_only, match="should return a tuple")


def test_resume_not_done():
    with pytest.raises(NotDoneYet):
        ch06.check_resume(None)


# ------------------------------------------------------------------------------------------ task 4
GOOD_DESIGN = {
    "ingest": {"cache_key": {"source_content_hash", "code_version"}, "retries": 3, "retry_on": {"transient_io"}},
    "validate": {"cache_key": {"upstream_hashes", "code_version", "params"}, "retries": 0, "retry_on": set()},
    "features": {"cache_key": {"upstream_hashes", "code_version", "params", "seed"}, "retries": 2,
                 "retry_on": {"transient_io", "preemption"}},
    "train": {"cache_key": {"upstream_hashes", "code_version", "params", "seed", "library_versions"}, "retries": 3,
              "retry_on": {"transient_io", "preemption"}},
    "evaluate": {"cache_key": {"upstream_hashes", "code_version"}, "retries": 2, "retry_on": {"transient_io"}},
    "register": {"cache_key": {"model_hash"}, "retries": 2, "retry_on": {"transient_io"}},
}
GOOD_WHY = ("Every key lists what the output depends on, by content, plus the code version, so unchanged steps are "
            "skipped and changed ones re-run. Only transient failures are retried; validation errors, bugs and a "
            "failed gate fail at once and page the owner with the step's error message.")


def design_with(step, **changes):
    design = copy.deepcopy(GOOD_DESIGN)
    design[step].update(changes)
    return design


def test_design_right_answer_passes(capsys):
    passes(ch06.check_design, capsys, GOOD_DESIGN, GOOD_WHY)


def test_design_accepts_lists():
    design = {step: {**entry, "cache_key": sorted(entry["cache_key"]), "retry_on": sorted(entry["retry_on"])}
              for step, entry in GOOD_DESIGN.items()}
    ch06.check_design(design, GOOD_WHY)


@pytest.mark.parametrize("design, message", [
    ({k: v for k, v in GOOD_DESIGN.items() if k != "evaluate"}, "no entry for"),
    (design_with("train", cache_key=GOOD_DESIGN["train"]["cache_key"] | {"run_id"}), "cache never hits"),
    (design_with("ingest", cache_key={"source_path", "code_version"}), "a path says where data is"),
    (design_with("features", cache_key={"upstream_hashes", "params"}), "lacks 'code_version'"),
    (design_with("validate", retries=2, retry_on={"validation_error"}), "deterministic"),
    (design_with("evaluate", retries=2, retry_on=set()), "retry a step only for named failure kinds"),
    (design_with("ingest", cache_key={"code_version", "params"}), "lacks 'source_content_hash'"),
    (design_with("evaluate", cache_key={"code_version"}), "lacks 'upstream_hashes'"),
    (design_with("train", cache_key={"upstream_hashes", "code_version", "params", "library_versions"}), "lacks 'seed'"),
    (design_with("train", cache_key={"upstream_hashes", "code_version", "params", "seed"}), "lacks 'library_versions'"),
    (design_with("register", cache_key={"code_version"}), "identify the model"),
    (design_with("train", retry_on={"transient_io"}), "does not retry on 'preemption'"),
    (design_with("train", cache_key="upstream_hashes"), "not one string"),
    (design_with("train", retries=10), "integer from 0 to 5"),
    (design_with("train", cache_key={"git_sha"}), "unknown parts"),
    (design_with("train", retry_on={"cosmic_rays"}), "unknown kinds"),
    (design_with("evaluate", cache_key=set()), "is empty"),
])
def test_design_wrong_answers(design, message):
    fails(ch06.check_design, design, GOOD_WHY, match=message)


def test_design_short_justification():
    fails(ch06.check_design, GOOD_DESIGN, "Because caching is good.", match="write at least 30")


def test_design_not_done():
    with pytest.raises(NotDoneYet):
        ch06.check_design(None, None)
    with pytest.raises(NotDoneYet):
        ch06.check_design(GOOD_DESIGN, None)


def test_the_world_is_re_exported_and_preempted_is_the_chapters_class():
    from coursekit.exports import ch06 as chapter
    from coursekit.worlds import ch06 as world

    assert ch06.FlakyDisk is world.FlakyDisk and ch06.run_with_retries is world.run_with_retries
    assert ch06.Preempted is world.Preempted is chapter.Preempted


def test_stubs_that_still_raise_not_implemented_are_not_done():
    def stub(*args, **kwargs):
        raise NotImplementedError()
    for check in (ch06.check_dataset_version, ch06.check_export, ch06.check_resume):
        with pytest.raises(NotDoneYet, match="NotImplementedError"):
            check(stub)
