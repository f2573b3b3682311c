"""Turn validated questions into the JSON the JavaScript renderer reads (Markdown pre-rendered safely)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from coursekit.quizzes.bank import Question
from coursekit.quizzes.markdown import to_html


def question_payload(q: Question, order: Sequence[int] | None = None) -> dict[str, Any]:
    """The renderer's view of one question: ids, type and safe HTML for every text. Options come in the
    shown *order* (bank indices, from :mod:`coursekit.quizzes.arrange`; default: bank order), each with
    its ``index`` in the bank, which is what recorded answers use."""
    data: dict[str, Any] = {
        "id": q.id,
        "type": q.type,
        "objective": q.objective,
        "prompt_html": to_html(q.prompt),
        "explanation_html": to_html(q.explanation) if q.explanation else "",
    }
    if q.type == "numeric":
        data.update(
            answer=q.answer,
            tolerance=q.tolerance,
            unit=q.unit,
            common_mistakes=[{"value": m.value, "feedback_html": to_html(m.feedback)} for m in q.common_mistakes],
        )
    else:
        data["options"] = [
            {"index": i, "text_html": to_html(q.options[i].text), "correct": q.options[i].correct,
             "feedback_html": to_html(q.options[i].feedback)}
            for i in (order if order is not None else range(len(q.options)))
        ]
    return data
