"""Every quiz on every page of the built book, in headless Chromium with no kernel: a wrong and a right
answer by mouse show the right verdict and feedback, and the right answer by keyboard alone works too."""

from __future__ import annotations

import json

import pytest

from tests.support.book_server import open_page
from tests.support.quiz_driver import STRATEGIES, answer_by_mouse, answer_by_strategy, answer_right_by_keyboard, folded
from tests.support.site_pages import quiz_pages

PAGES = quiz_pages()


def test_chapter_01_has_quizzes():
    assert "chapters/01_ml_essentials.html" in PAGES


@pytest.mark.parametrize("rel", PAGES)
def test_every_quiz_on_the_page_answers_right_and_wrong(site, page, rel):
    failures, answered = [], 0
    open_page(page, site + rel)
    quizzes = page.locator(".ck-quiz").all()
    assert quizzes, f"{rel}: no quiz rendered"
    for quiz_el in quizzes:
        data = json.loads(quiz_el.locator("script.ck-quiz-data").text_content())
        groups = quiz_el.get_by_role("group")
        assert groups.count() == len(data["questions"]), f"{rel} {data['quiz_id']}: not every question rendered"
        for q, group in zip(data["questions"], groups.all()):
            # right by keyboard alone on the untouched question, then wrong and right by mouse: each
            # answer must change the verdict, so each one is seen to work
            outcomes = [answer_right_by_keyboard(page, group, q), answer_by_mouse(group, q, correct=False),
                        answer_by_mouse(group, q, correct=True)]
            answered += 1
            failures += [f"{o.question} ({o.how}): {o.shown!r}" for o in outcomes if not (o.verdict_ok and o.feedback_ok)]
        n = len(data["questions"])
        score = folded(quiz_el.locator(".ck-score").inner_text())
        if f"{n} / {n}" not in score:
            failures.append(f"{data['quiz_id']}: score line {score!r}")
    outside = [u for u in page.requests if not u.startswith((site, "data:", "blob:"))]
    assert not outside, f"{rel}: the quiz page loaded from outside the built site: {outside}"
    assert not page.errors, f"{rel}: console errors {page.errors}"
    print(f"{rel}: answered {answered} questions")
    assert not failures, f"{rel}:\n" + "\n".join(failures)


# A learner who does not read the questions. The bank linter keeps each strategy within 15 points of
# guessing per bank (coursekit/quizzes/cues.py); in the browser a page must stay at or under these bounds:
SINGLE_BOUND = 0.45  # share of the page's single-choice questions right (guessing: about 25 % with 4 options)
PAGE_BOUND = 0.40  # share of all the page's questions right (select-all and numeric are rarely right by rule)


@pytest.mark.parametrize("rel", PAGES)
def test_a_test_wise_learner_scores_near_chance(site, page, rel):
    open_page(page, site + rel)
    report, failures = [], []
    for strategy in STRATEGIES:
        page.reload(wait_until="networkidle")  # a fresh quiz state (answers live in the page, not the reload)
        got = answer_by_strategy(page, strategy)
        results = got["results"]
        singles = [r for r in results if r["type"] == "single"]
        single_share = sum(r["correct"] for r in singles) / max(len(singles), 1)
        page_share = sum(r["correct"] for r in results) / len(results)
        report.append(f"{strategy}: {single_share:.0%} of {len(singles)} single-choice, {page_share:.0%} of {len(results)}")
        if single_share > SINGLE_BOUND or page_share > PAGE_BOUND:
            failures.append(f"always {strategy}: " + report[-1])
        skipped = [chapter for chapter, status in got["plan"] if status == "skip"]
        if skipped:
            failures.append(f"always {strategy}: the placement check recommends skipping chapters {skipped}")
    assert not page.errors, f"{rel}: console errors {page.errors}"
    print(f"{rel}: " + "; ".join(report))
    assert not failures, f"{rel}: a learner who does not read the questions scores too well:\n" + "\n".join(failures)


FROM_DISK = "chapters/01_ml_essentials.html"


def test_quizzes_and_progress_work_from_disk(book, page):
    """The book opened from disk (a file:// URL, no server): the quizzes render (a classic script: Chromium
    runs no module script from file://), a wrong and a right answer show their verdicts, the result is kept
    in this browser's storage (one key per book folder) and the "Your progress" page shows it."""
    open_page(page, (book / FROM_DISK).as_uri())
    quiz_el = page.locator(".ck-quiz").first
    assert quiz_el.get_attribute("data-ck-mounted") == "1", f"the quiz did not render from disk: {page.errors}"
    questions = json.loads(quiz_el.locator("script.ck-quiz-data").text_content())["questions"]
    group = quiz_el.get_by_role("group").first
    for correct in (False, True):
        outcome = answer_by_mouse(group, questions[0], correct=correct)
        assert outcome.verdict_ok and outcome.feedback_ok, outcome.shown
    assert page.locator(".ck-quiz-fallback").count() == 0
    keys = page.evaluate("Object.keys(localStorage).filter((k) => k.startsWith('coursekit'))")
    assert keys == [f"coursekit-progress:{book.as_uri().removeprefix('file://')}/"], keys
    page.locator(".ck-done-box a").click()  # "Your progress", linked from the chapter's last quiz
    page.wait_for_load_state("load")
    assert page.url == (book / "progress.html").as_uri()
    score = folded(page.locator('tr[data-chapter="01_ml_essentials"] .ck-progress-score').inner_text())
    assert score.startswith("1 of ") and score.endswith("(1 answered)"), score
    outside = [u for u in page.requests if not u.startswith((book.as_uri(), "data:", "blob:"))]
    assert not outside, f"requested from outside the book's folder: {outside}"
    assert not page.errors, f"console errors from disk: {page.errors}"


@pytest.mark.browser_context_args(java_script_enabled=False)
def test_without_javascript_the_quiz_says_what_it_needs(site, page):
    """JavaScript off: the quiz's place shows its title and where it works, not a promise it cannot keep."""
    page.goto(site + FROM_DISK, wait_until="load")
    note = folded(page.locator(".ck-quiz .ck-quiz-fallback").first.inner_text())
    assert "needs JavaScript" in note and "off or blocked in this browser" in note, note
    assert "read this page in the course's HTML book" not in note, note
