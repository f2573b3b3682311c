"""The live quiz: an anywidget whose front end is the same ``quiz.js`` the static book uses."""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anywidget
import traitlets

from coursekit.layout import QUIZ_ASSETS
from coursekit.quizzes.arrange import arrangement
from coursekit.quizzes.bank import bank_path, load_bank
from coursekit.quizzes.payload import question_payload
from coursekit.quizzes.static_html import reference_html, static_html

SESSION: weakref.WeakSet[Quiz] = weakref.WeakSet()  # quizzes created in this kernel (read by coursekit.progress)


@dataclass(frozen=True)
class QuizContent:
    """One quiz as the renderer gets it: read from its bank, options in their shown order."""

    bank: str  # the bank's stem, e.g. "05_experiment_tracking"
    section: str | None
    ids: list[str] | None
    quiz_id: str
    title: str
    questions: list[dict[str, Any]]
    placement: dict[str, Any] = field(default_factory=dict)
    sources: tuple[Path, ...] = ()  # the files it was read from (the book rebuilds its page when they change)

    def static_html(self) -> str:
        return static_html(self.quiz_id, self.title, self.questions, self.placement or None)

    def reference_html(self) -> str:
        return reference_html(self.bank, self.section, self.ids)


def quiz_content(chapter: str, section: str | None = None, ids: list[str] | None = None) -> QuizContent:
    """The quiz for a chapter's bank: one quiz point (*section*), chosen *ids*, or the whole bank."""
    path = bank_path(chapter)
    bank = load_bank(path)
    chosen = bank.select(section, ids)
    order = arrangement(bank)
    label = section or ("selected" if ids else "all")
    title = f"Quiz: {bank.title}" + (f" · {section}" if section else "")
    placement: dict[str, Any] = {}
    sources: tuple[Path, ...] = (path,)
    if bank.placement:  # chapter 00: the rules in quiz.js also need the path's chapters
        from coursekit.syllabus import load_path, placement_payload

        course = load_path()
        placement = placement_payload(course)
        title = bank.title
        sources = (path, course.path, *sorted(path.parent.glob("*.yml")))
    return QuizContent(bank.chapter, section, ids, f"{bank.chapter}/{label}", title,
                       [question_payload(q, order.get(q.id)) for q in chosen], placement, sources)


class Quiz(anywidget.AnyWidget):
    """A quiz widget. After the learner checks answers, ``responses`` and ``score`` hold them (an answer is
    the option's index in the bank, whatever order it was shown in); for the placement check, ``plan``
    holds the recommended path ({chapter number: study/skim/skip})."""

    _esm = QUIZ_ASSETS / "quiz.js"
    _css = QUIZ_ASSETS / "quiz.css"
    quiz_id = traitlets.Unicode("").tag(sync=True)
    title = traitlets.Unicode("").tag(sync=True)
    questions = traitlets.List(traitlets.Dict()).tag(sync=True)
    responses = traitlets.Dict().tag(sync=True)
    placement = traitlets.Dict().tag(sync=True)
    plan = traitlets.Dict().tag(sync=True)

    def __init__(self, *, reference: str = "", **kwargs: Any):
        super().__init__(**kwargs)
        self._reference = reference
        SESSION.add(self)

    @classmethod
    def of(cls, content: QuizContent) -> Quiz:
        return cls(quiz_id=content.quiz_id, title=content.title, questions=content.questions,
                   placement=content.placement, reference=content.reference_html())

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
        # A reference to the bank, not the quiz itself (the book renders it from the bank at build time), and
        # a plain form that does not change when a question is reworded: stored outputs stay stable.
        bundle["text/plain"] = f"Quiz {self.quiz_id}"
        bundle["text/html"] = self._reference or static_html(self.quiz_id, self.title, self.questions,
                                                             self.placement or None)
        return bundle


def make_quiz(chapter: str, section: str | None = None, *, ids: list[str] | None = None) -> Quiz:
    """Build the quiz for a chapter's bank: one quiz point (*section*), chosen *ids*, or the whole bank."""
    return Quiz.of(quiz_content(chapter, section, ids))
