"""The placement check and the progress page in the built book, in headless Chromium with no kernel.

The path the page recommends for a fixed pattern of answers must equal what the same rules (quiz.js,
run by node) give for the same answers; the page's data must equal what the live widget gets; answering
a quiz on a chapter page must show on the "Your progress" page, and its reset must clear it.
"""

from __future__ import annotations

import json

from coursekit import quiz
from coursekit.syllabus import load_path
from coursekit.syllabus.pathmap import _duration
from tests.support.book_server import open_page
from tests.support.placement import contrast_failures, node_path, pattern
from tests.support.quiz_driver import answer_by_mouse, folded

CHAPTER_00 = "chapters/00_start_here.html"
CHAPTER_01 = "chapters/01_ml_essentials.html"
PROGRESS = "progress.html"


def test_placement_check_in_the_book_gives_the_path_of_the_rules(site, page, root, tmp_path):
    live = quiz("00", "placement")  # what JupyterLab's widget gets
    open_page(page, site + CHAPTER_00)
    container = page.locator(".ck-quiz").first
    data = json.loads(container.locator("script.ck-quiz-data").text_content())
    assert data["placement"] == live.placement and data["questions"] == live.questions, (
        "the book's placement check differs from the live widget's: refresh chapters/00_start_here.ipynb")
    assert container.locator("table.ck-plan-table").is_hidden(), "a path is shown before any answer"

    responses = {}
    for q, group, right in zip(data["questions"], container.get_by_role("group").all(), pattern(data["questions"])):
        outcome = answer_by_mouse(group, q, correct=right)
        assert outcome.verdict_ok, f"{q['id']}: {outcome.shown}"
        responses[q["id"]] = {"correct": right}
    rows = container.locator("table.ck-plan-table tbody tr").all()
    shown = {r.get_attribute("data-chapter"): r.get_attribute("data-recommended") for r in rows}
    reasons = {r.get_attribute("data-chapter"): [folded(li) for li in r.locator(".ck-plan-reasons li").all_inner_texts()]
               for r in rows}
    total = folded(container.locator(".ck-plan-total").inner_text())

    expected = node_path(root, tmp_path, data["placement"], data["questions"], responses)
    assert shown == {c["number"]: c["status"] for c in expected["chapters"]}
    assert set(shown.values()) == {"study", "skim", "skip"}, "the pattern should exercise every outcome"
    for c in expected["chapters"]:
        kinds = [r["kind"] for r in c["reasons"]]
        assert len(reasons[c["number"]]) == len(kinds), f"chapter {c['number']}: {reasons[c['number']]} vs {kinds}"
        for text, r in zip(reasons[c["number"]], c["reasons"]):
            if "objective" in r:
                assert r["objective"] in text, f"chapter {c['number']}: {text!r} does not name {r['objective']}"
    assert f"Your path: {_duration(expected['minutes'])}" in total, total
    assert f"every chapter in full: {_duration(sum(c['minutes'] for c in expected['chapters']))}" in total, total

    # A chosen path: study every chapter the rules said to skip; the total follows.
    course = load_path()
    extra = 0
    for c in expected["chapters"]:
        if c["status"] == "skip":
            container.locator(f'tr[data-chapter="{c["number"]}"] select').select_option("study")
            extra += course.chapter(c["number"]).minutes
    total = folded(container.locator(".ck-plan-total").inner_text())
    assert f"Your path: {_duration(expected['minutes'] + extra)}" in total, total

    assert not contrast_failures(page, ".ck-plan")
    assert not page.errors, page.errors


def test_progress_page_shows_quiz_results_and_done_marks_and_reset_clears_them(book, site, page):
    open_page(page, site + CHAPTER_01)  # a fresh browser context: empty storage
    first = page.locator(".ck-quiz").first
    questions = json.loads(first.locator("script.ck-quiz-data").text_content())["questions"]
    groups = first.get_by_role("group")
    answer_by_mouse(groups.nth(0), questions[0], correct=True)
    answer_by_mouse(groups.nth(1), questions[1], correct=False)
    done = page.locator(".ck-done-box input.ck-done")
    assert done.count() == 1, "no 'I have finished this chapter' box after the chapter's last quiz"
    done.check()

    page.goto(site + PROGRESS, wait_until="networkidle")
    row = page.locator('tr[data-chapter="01_ml_essentials"]')
    total = len(load_path().chapter("01").questions)
    assert folded(row.locator(".ck-progress-score").inner_text()) == f"1 of {total} (2 answered)"
    assert row.locator("input.ck-progress-done").is_checked()
    assert "Chapters done: 1 of" in page.locator(".ck-progress-summary").inner_text()
    for href in page.locator(".ck-progress-table a").evaluate_all("links => links.map(a => a.getAttribute('href'))"):
        assert (book / href).exists(), f"the progress table links to {href}, which was not built"
    ours = "Object.keys(localStorage).filter(k => k.startsWith('coursekit'))"  # the theme keeps its own keys
    assert not contrast_failures(page, ".ck-progress")
    assert page.evaluate(ours) == ["coursekit-progress:/"]  # one key, namespaced by the site's root path

    page.once("dialog", lambda dialog: dialog.dismiss())  # "Cancel" keeps everything
    page.locator("button.ck-progress-reset").click()
    assert folded(row.locator(".ck-progress-score").inner_text()) == f"1 of {total} (2 answered)"
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("button.ck-progress-reset").click()
    row = page.locator('tr[data-chapter="01_ml_essentials"]')
    assert folded(row.locator(".ck-progress-score").inner_text()) == f"0 of {total}"
    assert not row.locator("input.ck-progress-done").is_checked()
    assert page.evaluate(ours) == []

    page.reload(wait_until="networkidle")  # still empty after a reload
    assert folded(page.locator('tr[data-chapter="01_ml_essentials"] .ck-progress-score').inner_text()) == f"0 of {total}"
    assert not page.errors, page.errors
    outside = [u for u in page.requests if not u.startswith((site, "data:", "blob:"))]
    assert not outside, outside
