"""The quiz's ``text/html`` form: data plus a mount point that the book's copy of the renderer fills in."""

from __future__ import annotations

import html
import json
from typing import Any


def script_json(data: Any) -> str:
    """JSON safe to place inside ``<script type="application/json">`` (no ``</script>`` break-out)."""
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def static_html(quiz_id: str, title: str, questions: list[dict[str, Any]], placement: dict[str, Any] | None = None) -> str:
    """Self-contained HTML for one quiz; deterministic for the same input. *placement*: the path data the
    placement check's rules need (chapter 00 only)."""
    data = {"quiz_id": quiz_id, "title": title, "questions": questions}
    if placement:
        data["placement"] = placement
    n = len(questions)
    return (
        f'<div class="ck-quiz" data-ck-quiz="{html.escape(quiz_id)}">\n'
        f'<script type="application/json" class="ck-quiz-data">{script_json(data)}</script>\n'
        f'<div class="ck-quiz-fallback"><p><strong>{html.escape(title)}</strong> ({n} question{"s" * (n != 1)}). '
        "This quiz needs JavaScript: run the cell in Jupyter, or read this page in the course's HTML book.</p></div>\n"
        "</div>"
    )
