"""The live quiz: an anywidget whose front end is the same ``quiz.js`` the static book uses."""

from __future__ import annotations

from typing import Any

import anywidget
import traitlets

from coursekit.paths import QUIZ_ASSETS
from coursekit.quizzes.bank import bank_path, load_bank
from coursekit.quizzes.payload import question_payload
from coursekit.quizzes.static_html import static_html


class Quiz(anywidget.AnyWidget):
    """A quiz widget. After the learner checks answers, ``responses`` and ``score`` hold them."""

    _esm = QUIZ_ASSETS / "quiz.js"
    _css = QUIZ_ASSETS / "quiz.css"
    quiz_id = traitlets.Unicode("").tag(sync=True)
    title = traitlets.Unicode("").tag(sync=True)
    questions = traitlets.List(traitlets.Dict()).tag(sync=True)
    responses = traitlets.Dict().tag(sync=True)

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
        bundle["text/html"] = static_html(self.quiz_id, self.title, self.questions)
        return bundle


def make_quiz(chapter: str, section: str | None = None, *, ids: list[str] | None = None) -> Quiz:
    """Build the quiz for a chapter's bank: one quiz point (*section*), chosen *ids*, or the whole bank."""
    bank = load_bank(bank_path(chapter))
    chosen = bank.select(section, ids)
    label = section or ("selected" if ids else "all")
    title = f"Quiz: {bank.title}" + (f" · {section}" if section else "")
    return Quiz(quiz_id=f"{bank.chapter}/{label}", title=title, questions=[question_payload(q) for q in chosen])
