"""The live quiz: an anywidget whose front end is the same ``quiz.js`` the static book uses."""

from __future__ import annotations

import weakref
from typing import Any

import anywidget
import traitlets

from coursekit.paths import QUIZ_ASSETS
from coursekit.quizzes.bank import bank_path, load_bank
from coursekit.quizzes.payload import question_payload
from coursekit.quizzes.static_html import static_html


SESSION: weakref.WeakSet[Quiz] = weakref.WeakSet()  # quizzes created in this kernel (read by coursekit.progress)


class Quiz(anywidget.AnyWidget):
    """A quiz widget. After the learner checks answers, ``responses`` and ``score`` hold them; for the
    placement check, ``plan`` holds the recommended path ({chapter number: study/skim/skip})."""

    _esm = QUIZ_ASSETS / "quiz.js"
    _css = QUIZ_ASSETS / "quiz.css"
    quiz_id = traitlets.Unicode("").tag(sync=True)
    title = traitlets.Unicode("").tag(sync=True)
    questions = traitlets.List(traitlets.Dict()).tag(sync=True)
    responses = traitlets.Dict().tag(sync=True)
    placement = traitlets.Dict().tag(sync=True)
    plan = traitlets.Dict().tag(sync=True)

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        SESSION.add(self)

    @property
    def score(self) -> tuple[int, int]:
        """(answered correctly, number of questions), from the learner's latest checks."""
        return sum(bool(r.get("correct")) for r in self.responses.values()), len(self.questions)

    def __repr__(self) -> str:
        n = len(self.questions)
        return f"Quiz {self.quiz_id}: {self.title} ({n} question{'s' * (n != 1)})"

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = super()._repr_mimebundle_(**kwargs) or {}
        if isinstance(bundle, tuple):  # (data, metadata)
            bundle = bundle[0]
        bundle = dict(bundle)
        bundle["text/plain"] = repr(self)
        bundle["text/html"] = static_html(self.quiz_id, self.title, self.questions, self.placement or None)
        return bundle


def make_quiz(chapter: str, section: str | None = None, *, ids: list[str] | None = None) -> Quiz:
    """Build the quiz for a chapter's bank: one quiz point (*section*), chosen *ids*, or the whole bank."""
    bank = load_bank(bank_path(chapter))
    chosen = bank.select(section, ids)
    label = section or ("selected" if ids else "all")
    title = f"Quiz: {bank.title}" + (f" · {section}" if section else "")
    placement: dict[str, Any] = {}
    if bank.placement:  # chapter 00: the rules in quiz.js also need the path's chapters
        from coursekit.path import load_path, placement_payload

        placement = placement_payload(load_path())
        title = bank.title
    return Quiz(quiz_id=f"{bank.chapter}/{label}", title=title, questions=[question_payload(q) for q in chosen],
                placement=placement)
