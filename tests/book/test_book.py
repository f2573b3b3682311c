"""The book builds with warnings as errors, ships the quiz script only where quizzes are, loads nothing
from a CDN, and the instructors' switch leaves the solutions out."""

from __future__ import annotations

import re

from coursekit.book import build
from tests.support.book_server import all_pages


def test_every_toc_page_is_built(book, root):
    toc = (root / "_toc.yml").read_text()
    for stem in re.findall(r"file: (\S+)", toc):
        assert (book / f"{stem}.html").exists(), f"{stem} missing from the build"


def test_quiz_assets_only_on_quiz_pages(book):
    for page in all_pages(book):
        text = page.read_text(encoding="utf-8")
        has_quiz = 'data-ck-quiz="' in text
        assert ("coursekit/quiz-bundle.js" in text) == has_quiz, page.name
        assert 'type="module"' not in text, f"{page.name}: a module script does not run from disk (file://)"
    assert (book / "_static" / "coursekit" / "quiz-bundle.js").exists()
    assert 'data-ck-quiz="' in (book / "chapters" / "01_ml_essentials.html").read_text(encoding="utf-8")


def test_no_page_loads_widget_scripts_from_a_cdn(book):
    for page in all_pages(book):
        text = page.read_text(encoding="utf-8")
        assert "application/vnd.jupyter.widget-state+json" not in text, f"{page.name} embeds widget state"
        assert "cdn.jsdelivr" not in text and "unpkg.com" not in text and "require.min.js" not in text, page.name


def test_book_without_solutions(tmp_path):
    assert build(tmp_path, solutions=False) == 0
    html = tmp_path / "_build" / "html"
    assert (html / "exercises" / "01_ml_essentials.html").exists()
    assert not list(html.rglob("solutions/*.html")), "solutions were built"
    assert "solutions/" not in (html / "exercises" / "01_ml_essentials.html").read_text(encoding="utf-8")
