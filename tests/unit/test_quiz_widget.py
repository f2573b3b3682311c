"""The live quiz widget: its outputs are deterministic, bank text is made safe, answers reach Python."""

from __future__ import annotations

import json
import re

import pytest

from coursekit import quiz
from coursekit.quizzes.static_html import REFERENCE, parse_selection, reference_html, script_json
from coursekit.quizzes.widget import quiz_content


def test_one_call_by_chapter_number_and_section(sample_course):
    widget = quiz("99", "a")
    assert widget.quiz_id == "99_sample/a"
    assert [q["id"] for q in widget.questions] == ["sample-xss"]
    assert repr(widget) == "Quiz 99_sample/a: Quiz: Sample chapter · a (1 question)"


def test_by_ids_and_unknown_section(sample_course):
    assert [q["id"] for q in quiz("99_sample", ids=["sample-num", "sample-xss"]).questions] == ["sample-num", "sample-xss"]
    with pytest.raises(KeyError, match="no quiz point 'zzz'; this bank has a, b"):
        quiz("99", "zzz")


def test_mimebundle_has_widget_view_and_a_stable_reference_to_the_bank(sample_course):
    first, second = quiz("99")._repr_mimebundle_(), quiz("99")._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in first
    assert first["text/html"] == second["text/html"] == reference_html("99_sample", None, None)
    assert first["text/plain"] == second["text/plain"] == "Quiz 99_sample/all"
    # what a notebook stores does not change when a question is reworded (the book reads the bank)
    bank = sample_course / "quizzes" / "99_sample.yml"
    bank.write_text(bank.read_text(encoding="utf-8").replace("Right.", "Right, reworded."), encoding="utf-8")
    assert quiz("99")._repr_mimebundle_()["text/html"] == first["text/html"]


@pytest.mark.parametrize("section, ids", [(None, None), ("a", None), (None, ["sample-num", "sample-xss"])])
def test_a_reference_names_its_questions(section, ids):
    match = REFERENCE.fullmatch(reference_html("99_sample", section, ids))
    assert match and match["bank"] == "99_sample"
    assert parse_selection(match["select"]) == (section, ids)


def test_a_malformed_selection_is_refused():
    with pytest.raises(ValueError, match="not a quiz selection: 'sections:a'"):
        parse_selection("sections:a")


def test_bank_markup_is_escaped_and_cannot_break_out(sample_course):
    html = quiz_content("99").static_html()
    # Exactly one script element: the JSON data block; the prompt's </script> cannot close it.
    assert html.count("<script") == 1 and html.count("</script>") == 1
    data = json.loads(re.search(r'<script type="application/json" class="ck-quiz-data">(.*)</script>', html).group(1))
    prompt = data["questions"][0]["prompt_html"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in prompt and "<script>" not in prompt
    assert 'href="javascript:' not in prompt
    by_index = {o["index"]: o for o in data["questions"][0]["options"]}
    assert by_index[1]["text_html"] == "<p>&lt;b&gt;yes&lt;/b&gt;</p>"
    assert by_index[0]["text_html"] == "<p><strong>no</strong></p>"


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
