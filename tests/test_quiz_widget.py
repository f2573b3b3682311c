"""The live quiz widget: its outputs are deterministic, bank text is made safe, answers reach Python."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from coursekit import quiz
from coursekit.quizzes.static_html import script_json

BANK = {
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
    (tmp_path / "quizzes").mkdir()
    (tmp_path / "quizzes" / "99_sample.yml").write_text(yaml.safe_dump(BANK), encoding="utf-8")
    monkeypatch.setenv("COURSEKIT_ROOT", str(tmp_path))
    return tmp_path


def test_one_call_by_chapter_number_and_section(sample_course):
    widget = quiz("99", "a")
    assert widget.quiz_id == "99_sample/a"
    assert [q["id"] for q in widget.questions] == ["sample-xss"]
    assert repr(widget) == "Quiz 99_sample/a: Quiz: Sample chapter · a (1 question)"


def test_by_ids_and_unknown_section(sample_course):
    assert [q["id"] for q in quiz("99_sample", ids=["sample-num", "sample-xss"]).questions] == ["sample-num", "sample-xss"]
    with pytest.raises(KeyError, match="no quiz point 'zzz'; this bank has a, b"):
        quiz("99", "zzz")


def test_mimebundle_has_widget_view_and_deterministic_html(sample_course):
    first, second = quiz("99")._repr_mimebundle_(), quiz("99")._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in first
    assert first["text/html"] == second["text/html"]
    assert first["text/plain"] == second["text/plain"] == "Quiz 99_sample/all: Quiz: Sample chapter (2 questions)"


def test_bank_markup_is_escaped_and_cannot_break_out(sample_course):
    html = quiz("99")._repr_mimebundle_()["text/html"]
    # Exactly one script element: the JSON data block; the prompt's </script> cannot close it.
    assert html.count("<script") == 1 and html.count("</script>") == 1
    data = json.loads(re.search(r'<script type="application/json" class="ck-quiz-data">(.*)</script>', html).group(1))
    prompt = data["questions"][0]["prompt_html"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in prompt and "<script>" not in prompt
    assert 'href="javascript:' not in prompt
    assert data["questions"][0]["options"][1]["text_html"] == "<p>&lt;b&gt;yes&lt;/b&gt;</p>"
    assert data["questions"][0]["options"][0]["text_html"] == "<p><strong>no</strong></p>"


def test_script_json_round_trips():
    value = {"a": "</script><!-- & >"}
    assert json.loads(script_json(value)) == value
    assert "<" not in script_json(value)


def test_answers_reach_python(sample_course):
    widget = quiz("99")
    assert widget.score == (0, 2)
    # What quiz.js sends after two checks (one right, one wrong).
    widget.responses = {"sample-xss": {"answer": 0, "correct": True}, "sample-num": {"answer": 2.5, "correct": False}}
    assert widget.score == (1, 2)
    assert widget.responses["sample-num"]["answer"] == 2.5
