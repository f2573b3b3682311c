"""Drive the rendered quizzes in a browser page (Playwright), by mouse and by keyboard alone.

The expected answers and feedback come from each quiz's own data block, so the same driver checks
every quiz on every page, in the static book and in JupyterLab.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape
from typing import Any


def text_of(html: str) -> str:
    """Visible text of a fragment of HTML, compared without whitespace (inner_text spaces blocks differently)."""
    return squeezed(unescape(re.sub(r"<[^>]+>", "", html)))


def squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def folded(text: str) -> str:
    return " ".join(text.split())


def wrong_number(q: dict[str, Any]) -> float:
    """A value outside the tolerance of the answer and of every listed common mistake."""
    taken = [q["answer"]] + [m["value"] for m in q.get("common_mistakes", [])]
    candidate = abs(q["answer"]) * 3 + 7 + 10 * q["tolerance"]
    while any(abs(candidate - t) <= q["tolerance"] * 2 for t in taken):
        candidate = candidate * 2 + 1
    return candidate


@dataclass
class Outcome:
    question: str
    how: str
    verdict_ok: bool
    feedback_ok: bool
    shown: str


def _feedback(group) -> str:
    return folded(group.locator(".ck-feedback").inner_text())


def _expect(q, group, correct: bool, chosen: list[int] | None, how: str) -> Outcome:
    verdict = folded(group.locator(".ck-verdict").inner_text()) if group.locator(".ck-verdict").count() else ""
    shown = _feedback(group)
    flat = squeezed(shown)
    verdict_ok = ("Correct." in verdict) if correct else ("Not quite" in verdict)
    feedback_ok = True
    if chosen is not None:
        feedback_ok = all(text_of(q["options"][i]["feedback_html"]) in flat for i in chosen)
    if q.get("explanation_html"):
        feedback_ok = feedback_ok and text_of(q["explanation_html"]) in flat
    return Outcome(q["id"], how, verdict_ok, feedback_ok, shown[:300])


def answer_by_mouse(group, q: dict[str, Any], correct: bool) -> Outcome:
    """Answer one question with clicks; return what the feedback region showed."""
    check = group.locator("button.ck-check")
    if q["type"] == "numeric":
        value = q["answer"] if correct else wrong_number(q)
        group.locator("input.ck-numeric-input").fill(repr(float(value)))
        check.click()
        return _expect(q, group, correct, None, "mouse")
    options = q["options"]
    right = [i for i, o in enumerate(options) if o["correct"]]
    wrong = [i for i, o in enumerate(options) if not o["correct"]]
    chosen = right if correct else ([wrong[0]] if q["type"] == "single" else right[:-1] + [wrong[0]] if wrong else [])
    inputs = group.locator("input[type=radio], input[type=checkbox]")
    for i in range(len(options)):
        box = inputs.nth(i)
        if q["type"] == "single":
            if i in chosen:
                box.check()
        else:
            box.set_checked(i in chosen)
    check.click()
    return _expect(q, group, correct, chosen, "mouse")


def _focused_is_check(page) -> bool:
    return page.evaluate("!!document.activeElement && document.activeElement.classList.contains('ck-check')")


def answer_right_by_keyboard(page, group, q: dict[str, Any]) -> Outcome:
    """Give the right answer with the keyboard only, starting from the question's first control (where
    Tab lands when coming from the previous question): Space and arrows to choose, Tab to Check, Enter."""
    group.locator("input").first.focus()
    if q["type"] == "numeric":
        page.keyboard.press("Control+A")  # replace what is typed there
        page.keyboard.type(repr(float(q["answer"])))
        page.keyboard.press("Enter")
        return _expect(q, group, True, None, "keyboard")
    right = [i for i, o in enumerate(q["options"]) if o["correct"]]
    if q["type"] == "single":
        page.keyboard.press("Space")  # selects the focused first option
        for _ in range(right[0]):
            page.keyboard.press("ArrowDown")  # moves the selection within the radio group
        page.keyboard.press("Tab")  # a radio group is one tab stop: Tab leaves it for Check
    else:
        for i in range(len(q["options"])):
            if group.locator("input").nth(i).is_checked() != (i in right):
                page.keyboard.press("Space")
            page.keyboard.press("Tab")
    if not _focused_is_check(page):
        return Outcome(q["id"], "keyboard", False, False, "Tab did not reach the Check button")
    page.keyboard.press("Enter")
    return _expect(q, group, True, right, "keyboard")


# A test-wise learner: answers every question on a page by a fixed rule, without reading it. Runs in the
# page (one evaluate per strategy) and returns what each question's verdict said.
ANSWER_BY_STRATEGY = """(strategy) => {
  const results = [];
  for (const group of document.querySelectorAll(".ck-question")) {
    const inputs = [...group.querySelectorAll("input[type=radio], input[type=checkbox]")];
    const type = inputs.length ? inputs[0].type : "numeric";
    if (inputs.length) {
      const lengths = inputs.map((i) => i.closest("label").innerText.replace(/\\s+/g, " ").trim().length);
      const pick = {first: 0, last: inputs.length - 1,
                    longest: lengths.indexOf(Math.max(...lengths)),
                    shortest: lengths.indexOf(Math.min(...lengths))}[strategy];
      inputs.forEach((input, i) => { if ((i === pick) !== input.checked) input.click(); });
    } // numeric questions are left unanswered: there is no option to pick
    group.querySelector("button.ck-check").click();
    const verdict = group.querySelector(".ck-verdict");
    results.push({qid: group.dataset.qid, type: type === "radio" ? "single" : type === "checkbox" ? "multiple" : type,
                  correct: !!verdict && verdict.innerText.includes("Correct.")});
  }
  const plan = [...document.querySelectorAll("tr[data-recommended]")].map((tr) => [tr.dataset.chapter, tr.dataset.recommended]);
  return {results, plan};
}"""
STRATEGIES = ("first", "last", "longest", "shortest")


def answer_by_strategy(page, strategy: str) -> dict[str, Any]:
    """Answer every quiz question on *page* by *strategy*; {results: [{qid, type, correct}], plan: [[chapter, status]]}."""
    return page.evaluate(ANSWER_BY_STRATEGY, strategy)
