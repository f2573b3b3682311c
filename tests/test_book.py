"""The book builds with warnings as errors, quizzes work in it with no kernel and no network, and the
instructors' switch leaves the solutions out. One file, so xdist's loadfile keeps the builds on one worker."""

from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path

import pytest

from coursekit.book import build
from tests.book_server import CHROMIUM, CHROMIUM_ARGS, serve

QUIZ_PAGE = "chapters/01_ml_essentials.html"


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("book")
    assert build(out) == 0, "jupyter-book build -W failed: see the warnings above"
    return out / "_build" / "html"


def pages(html_dir: Path) -> list[Path]:
    return sorted(p for p in html_dir.rglob("*.html") if "_static" not in p.parts and p.name not in {"genindex.html", "search.html"})


def test_every_toc_page_is_built(book, root):
    toc = (root / "_toc.yml").read_text()
    for stem in re.findall(r"file: (\S+)", toc):
        assert (book / f"{stem}.html").exists(), f"{stem} missing from the build"


def test_quiz_assets_only_on_quiz_pages(book):
    for page in pages(book):
        text = page.read_text(encoding="utf-8")
        has_quiz = 'data-ck-quiz="' in text
        assert ("coursekit/quiz-static.js" in text) == has_quiz, page.name
    assert (book / "_static" / "coursekit" / "quiz.js").exists()
    assert 'data-ck-quiz="' in (book / QUIZ_PAGE).read_text(encoding="utf-8")


def test_no_page_loads_widget_scripts_from_a_cdn(book):
    for page in pages(book):
        text = page.read_text(encoding="utf-8")
        assert "application/vnd.jupyter.widget-state+json" not in text, f"{page.name} embeds widget state"
        assert "cdn.jsdelivr" not in text and "unpkg.com" not in text and "require.min.js" not in text, page.name


def test_book_without_solutions(tmp_path):
    assert build(tmp_path, solutions=False) == 0
    html = tmp_path / "_build" / "html"
    assert (html / "exercises" / "01_ml_essentials.html").exists()
    assert not list(html.rglob("solutions/*.html")), "solutions were built"
    assert "solutions/" not in (html / "exercises" / "01_ml_essentials.html").read_text(encoding="utf-8")


def _text(fragment: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


@pytest.mark.browser
def test_static_quiz_in_headless_chromium(book):
    from playwright.sync_api import sync_playwright

    with serve(book) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        requests, errors = [], []
        page.on("request", lambda r: requests.append(r.url))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(base + QUIZ_PAGE, wait_until="networkidle")

        data = json.loads(page.locator("script.ck-quiz-data").first.text_content())
        question = next(q for q in data["questions"] if q["type"] == "single")
        right = next(i for i, o in enumerate(question["options"]) if o["correct"])
        wrong = next(i for i, o in enumerate(question["options"]) if not o["correct"])
        group = page.locator(".ck-quiz").first.get_by_role("group").filter(
            has_text=_text(question["prompt_html"])[:40]).first
        status = group.get_by_role("status")

        group.get_by_role("radio").nth(wrong).check()
        group.get_by_role("button", name="Check").click()
        assert "Not quite" in status.inner_text()
        assert _text(question["options"][wrong]["feedback_html"]) in " ".join(status.inner_text().split())

        group.get_by_role("radio").nth(right).check()
        group.get_by_role("button", name="Check").click()
        assert "Correct" in status.inner_text()
        assert _text(question["options"][right]["feedback_html"]) in " ".join(status.inner_text().split())

        browser.close()
    outside = [u for u in requests if not u.startswith(base) and not u.startswith("data:")]
    assert not outside, f"the page loaded from outside the built site: {outside}"
    assert not errors, f"console errors: {errors}"
