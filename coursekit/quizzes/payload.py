"""Turn validated questions into the JSON the JavaScript renderer reads (Markdown pre-rendered safely)."""

from __future__ import annotations

from typing import Any

from coursekit.quizzes.bank import Question
from coursekit.quizzes.markdown import to_html


def question_payload(q: Question) -> dict[str, Any]:
    """The renderer's view of one question: ids, type and safe HTML for every text."""
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
            {"text_html": to_html(o.text), "correct": o.correct, "feedback_html": to_html(o.feedback)}
            for o in q.options
        ]
    return data
