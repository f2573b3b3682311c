"""Fixtures shared by the test files: a one-bank sample course."""

from __future__ import annotations

import pytest
import yaml

SAMPLE_BANK = {
    "chapter": "99_sample",
    "title": "Sample chapter",
    "objectives": {"99.1": "Know things"},
    "questions": [
        {"id": "sample-xss", "quiz": "a", "objective": "99.1", "type": "single",
         "prompt": "Is <script>alert(1)</script> run? See [x](javascript:alert(1)) and `</script>`",
         "options": [{"text": "**no**", "correct": True, "feedback": "Right."},
                     {"text": "<b>yes</b>", "correct": False, "feedback": "Wrong."}]},
        {"id": "sample-num", "quiz": "b", "objective": "99.1", "type": "numeric", "prompt": "Size?",
         "answer": 1.5, "tolerance": 0.1, "unit": "GB"},
    ],
}


@pytest.fixture
def sample_course(tmp_path, monkeypatch):
    """A course root holding only quizzes/99_sample.yml (SAMPLE_BANK), as COURSEKIT_ROOT."""
    (tmp_path / "quizzes").mkdir()
    (tmp_path / "quizzes" / "99_sample.yml").write_text(yaml.safe_dump(SAMPLE_BANK), encoding="utf-8")
    monkeypatch.setenv("COURSEKIT_ROOT", str(tmp_path))
    return tmp_path
