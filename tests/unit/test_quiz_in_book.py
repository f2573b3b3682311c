"""The book build replaces the quiz reference a notebook stores with the quiz read from its bank."""

from __future__ import annotations

import json
import re
from types import SimpleNamespace

from docutils import nodes
from docutils.frontend import get_default_settings
from docutils.parsers.rst import Parser
from docutils.utils import new_document

from coursekit.quizzes.static_html import reference_html
from coursekit.sphinx_ext import _quizzes_from_banks


def page_with(html: str):
    doc = new_document("page", get_default_settings(Parser))
    doc += nodes.raw("", html, format="html")
    deps: list[str] = []
    app = SimpleNamespace(env=SimpleNamespace(note_dependency=deps.append))
    return doc, app, deps


def test_the_reference_becomes_the_quiz_from_the_bank(sample_course):
    doc, app, deps = page_with(reference_html("99_sample", "a", None))
    _quizzes_from_banks(app, doc)
    html = doc.children[0].astext()
    data = json.loads(re.search(r'class="ck-quiz-data">(.*)</script>', html).group(1))
    assert data["quiz_id"] == "99_sample/a" and [q["id"] for q in data["questions"]] == ["sample-xss"]
    assert deps == [str(sample_course / "quizzes" / "99_sample.yml")]  # the page is rebuilt when the bank changes


def test_a_broken_reference_is_a_warning_naming_the_quiz(sample_course, caplog):
    doc, app, _ = page_with(reference_html("99_sample", "no-such-point", None))
    _quizzes_from_banks(app, doc)
    assert "no quiz point 'no-such-point'" in caplog.text and "99_sample" in caplog.text
    assert "ck-quiz-ref" in doc.children[0].astext()  # left as it was
