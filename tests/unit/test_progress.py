"""Live progress: coursekit.progress() shows this kernel's quiz results; save=True merges them into the
progress file, which a later session reads (the file lives in a temp dir here, via COURSEKIT_PROGRESS_FILE)."""

from __future__ import annotations

import json
import weakref
from pathlib import Path

import pytest

import coursekit
from coursekit import quiz
from coursekit.progress_store import ProgressError, progress_file
from coursekit.quizzes import widget
from coursekit.syllabus import load_path


@pytest.fixture
def new_session(monkeypatch):
    """Forget the quizzes created so far, as a fresh kernel would."""
    def start():
        monkeypatch.setattr(widget, "SESSION", weakref.WeakSet())
    start()
    return start


@pytest.fixture
def file(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "home" / "progress.json"
    monkeypatch.setenv("COURSEKIT_PROGRESS_FILE", str(path))
    return path


def answer(w, right: list[int], wrong: list[int]) -> None:
    """What quiz.js sends after the learner checks answers."""
    w.responses = {**w.responses, **{w.questions[i]["id"]: {"answer": 0, "correct": True} for i in right},
                   **{w.questions[i]["id"]: {"answer": 1, "correct": False} for i in wrong}}


def row(shown, number: str) -> dict:
    return next(r for r in shown.rows if r["chapter"].startswith(number + " "))


def test_default_file_is_in_the_home_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("COURSEKIT_PROGRESS_FILE", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert progress_file() == tmp_path / ".mlops-course" / "progress.json"


def test_shows_this_sessions_results_without_writing(file, new_session):
    assert "No quiz answered yet" in repr(coursekit.progress())
    w = quiz("05", "registry")
    answer(w, right=[0, 2], wrong=[1])
    shown = coursekit.progress()
    total = len(load_path().chapter("05").questions)
    assert row(shown, "05") == {"chapter": "05 Experiment tracking and model registry with MLflow",
                                "right": 2, "answered": 3, "total": total}
    assert "not saved yet" in repr(shown) and "3 answers in 1 quiz," in repr(shown)
    assert "<table>" in shown._repr_html_() and "<td>2</td><td>3</td>" in shown._repr_html_()
    assert not file.exists(), "progress() without save=True must not write"


def test_save_then_a_later_session_reads_and_merges(file, new_session):
    first = quiz("05", "registry")
    answer(first, right=[0], wrong=[1])
    placement = quiz("00", "placement")
    answer(placement, right=[0, 1], wrong=[2])
    placement.plan = {"01": "skip", "02": "skip", "03": "study"}
    shown = coursekit.progress(save=True)
    assert "saved in" in repr(shown) and row(shown, "00")["answered"] == 3
    saved = json.loads(file.read_text())
    assert saved["version"] == 1 and saved["done"] == {} and saved["plan"] == placement.plan
    assert saved["questions"][first.questions[1]["id"]] == {"chapter": "05_experiment_tracking", "correct": False}

    new_session()  # a later session: nothing answered yet, the file is read
    later = coursekit.progress()
    assert row(later, "05")["answered"] == 2 and "Also shown: 5 answers saved earlier" in repr(later)
    assert "Your path from the placement check: study 03; skip 01, 02." in repr(later)

    again = quiz("05", "registry")  # the same question answered right this time, and another chapter
    answer(again, right=[1], wrong=[])
    other = quiz("01", "data")
    answer(other, right=[0], wrong=[])
    merged = coursekit.progress()
    assert row(merged, "05") == {**row(later, "05"), "right": 2}  # this session wins for the same question
    assert row(merged, "01")["answered"] == 1
    coursekit.progress(save=True)
    saved = json.loads(file.read_text())
    assert saved["questions"][again.questions[1]["id"]]["correct"] is True
    assert len(saved["questions"]) == 6 and saved["plan"] == placement.plan  # nothing saved earlier was lost
    assert not list(file.parent.glob(".progress-*")), "a temp file was left behind"


def test_unreadable_file_is_named(file, new_session):
    file.parent.mkdir(parents=True)
    file.write_text("{not json")
    with pytest.raises(ProgressError, match=rf"{file}: not a readable progress file .* move it away"):
        coursekit.progress()
    file.write_text(json.dumps({"version": 99, "questions": {}}))
    with pytest.raises(ProgressError, match="not a version-1 progress file"):
        coursekit.progress()
