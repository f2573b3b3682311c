"""Every page of the built book in headless Chromium: clean console, nothing loaded from outside the
site, no serious accessibility violation (axe-core), and every internal link resolves."""

from __future__ import annotations

import re
from html import unescape

import pytest

from tests.support.book_server import PHONE, SCROLL_SIGNS, SIDEWAYS, all_pages, open_page, set_theme
from tests.support.quiz_driver import answer_by_mouse
from tests.support.site_pages import toc_pages

FAST = {"resultTypes": ["violations"]}
CONTRAST_PAGES = ["index.html", "chapters/01_ml_essentials.html", "exercises/01_ml_essentials.html"]


@pytest.mark.parametrize("rel", toc_pages())
def test_page_loads_clean_local_and_accessible(book, site, page, rel):
    """No console errors, nothing requested from outside the built site, and no serious or critical
    axe-core violation (moderate and minor ones are printed for the record). Colour contrast, the one
    slow rule (20 s on a long chapter), depends only on the shared CSS: the next test checks it."""
    from axe_playwright_python.sync_playwright import Axe

    assert (book / rel).exists(), f"{rel} was not built"
    open_page(page, site + rel)
    outside = [u for u in page.requests if not u.startswith((site, "data:", "blob:"))]
    errors = list(page.errors)  # before axe runs: it re-fetches stylesheets on its own
    violations = Axe().run(page, options={**FAST, "rules": {"color-contrast": {"enabled": False}}}).response["violations"]
    for v in violations:
        if v["impact"] not in ("serious", "critical"):
            print(f"axe {v['impact']}: {rel}: {v['id']}: {v['help']} x{len(v['nodes'])}")
    serious = [f"{v['id']} ({v['impact']}): {v['help']} x{len(v['nodes'])}" for v in violations
               if v["impact"] in ("serious", "critical")]
    assert not outside, f"{rel}: requested from outside the built site: {outside}"
    assert not errors, f"{rel}: console errors {errors}"
    assert not serious, f"{rel}: " + "; ".join(serious)


@pytest.mark.parametrize("rel", CONTRAST_PAGES)
def test_colour_contrast_on_representative_pages(site, page, rel):
    """axe-core's colour-contrast rule on pages with every kind of content (prose, code, tables, plots,
    quizzes), with a quiz's wrong and right feedback on screen, in the light and the dark theme."""
    import json

    from axe_playwright_python.sync_playwright import Axe

    failures = []
    open_page(page, site + rel)
    quiz = page.locator(".ck-quiz").first
    if quiz.count():
        questions = json.loads(quiz.locator("script.ck-quiz-data").text_content())["questions"]
        groups = quiz.get_by_role("group")
        answer_by_mouse(groups.nth(0), questions[0], correct=False)
        answer_by_mouse(groups.nth(1), questions[1], correct=True)
    for mode in ("light", "dark"):
        set_theme(page, mode)
        only = {**FAST, "runOnly": {"type": "rule", "values": ["color-contrast"]}}
        for v in Axe().run(page, options=only).response["violations"]:
            targets = [n["target"] for n in v["nodes"][:5]]
            failures.append(f"{mode}: {v['impact']}: {v['help']} x{len(v['nodes'])} e.g. {targets}")
    assert not failures, f"{rel}:\n" + "\n".join(failures)


@pytest.mark.browser_context_args(viewport=PHONE)
@pytest.mark.parametrize("rel", toc_pages())
def test_page_fits_a_phone(site, page, rel):
    """At a 390 px wide viewport the page does not scroll sideways (long inline code and words wrap), and
    every box in it that scrolls sideways on its own (code, wide output tables) shows that it does: its
    hidden edge fades, and the fade at the end goes once it is scrolled to the end."""
    open_page(page, site + rel, wait_until="load")  # deferred scripts (the quizzes) have run and stylesheets are in
    sideways = page.evaluate(SIDEWAYS)
    boxes = page.evaluate(SCROLL_SIGNS)
    assert sideways["scrollWidth"] <= PHONE["width"], (
        f"{rel} is {sideways['scrollWidth']} px wide at {PHONE['width']} px: " + "; ".join(sideways["offenders"]))
    unsigned = [f"{b['box']} in #{b['section']}" for b in boxes if not (b["before"][1] > 0 and b["after"][1] == 0)]
    assert not unsigned, f"{rel}: boxes that scroll sideways with no sign of it: {unsigned[:5]}"


@pytest.mark.browser_context_args(viewport=PHONE)
def test_placement_plan_fits_a_phone_after_answers(site, page):
    """Chapter 00's path (shown only after answers) at 390 px: every column of every row is in view
    (or its scrolling box shows that it scrolls), and the page does not scroll sideways."""
    import json

    open_page(page, site + "chapters/00_start_here.html", wait_until="load")
    container = page.locator(".ck-quiz").first
    questions = json.loads(container.locator("script.ck-quiz-data").text_content())["questions"]
    for i, (q, group) in enumerate(zip(questions[:3], container.get_by_role("group").all())):
        assert answer_by_mouse(group, q, correct=i != 1).verdict_ok, q["id"]
    table = container.locator("table.ck-plan-table")
    table.wait_for(state="visible")
    hidden = table.evaluate("""(table) => {
      let box = table.parentElement;  // the nearest box that clips it
      while (box && getComputedStyle(box).overflowX === "visible") box = box.parentElement;
      const edge = Math.min(box ? box.getBoundingClientRect().right : Infinity, document.documentElement.clientWidth);
      const fade = box ? parseFloat(getComputedStyle(box).getPropertyValue("--ck-fade-end")) || 0 : 0;
      return [...table.querySelectorAll("th, td")].filter((c) => c.getBoundingClientRect().right > edge + 0.5)
        .map((c) => `${c.closest("tr").dataset.chapter || "header"}: ${c.innerText.trim().slice(0, 30)}`)
        .filter(() => fade === 0);
    }""")
    rows = table.locator("tbody tr").count()
    sideways = page.evaluate(SIDEWAYS)
    errors = list(page.errors)
    assert rows > 10, f"the path has {rows} rows"
    assert not hidden, f"cells of the path out of view with no sign that they scroll: {hidden[:6]}"
    assert sideways["scrollWidth"] <= PHONE["width"], "; ".join(sideways["offenders"])
    assert not errors, errors


def test_internal_links_resolve(book):
    """Every relative link and fragment in the built pages points at a file and an id that exist."""
    broken = []
    for path in all_pages(book):
        html = path.read_text(encoding="utf-8")
        for href in re.findall(r'<a [^>]*href="([^"]+)"', html):
            href = unescape(href)
            if re.match(r"^[a-z]+:", href) or href.startswith("//"):
                continue  # external or mailto: followed only when a reader clicks
            target, _, fragment = href.partition("#")
            target_path = (path.parent / target).resolve() if target else path
            if target_path.is_dir():
                target_path = target_path / "index.html"
            if not target_path.exists():
                broken.append(f"{path.relative_to(book)} -> {href}")
            elif fragment and target_path.suffix == ".html":
                ids = set(re.findall(r'id="([^"]+)"', target_path.read_text(encoding="utf-8")))
                if fragment not in ids:
                    broken.append(f"{path.relative_to(book)} -> {href} (no such id)")
    assert not broken, "\n".join(sorted(set(broken)))
