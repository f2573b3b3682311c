"""The quiz's ``text/html`` forms.

A notebook stores only a small *reference* to its quiz (bank and selection: :func:`reference_html`), so a
quiz lives once, in its bank: rewording a feedback needs no re-execution of the chapter. The book build
replaces each reference with the *full* form (:func:`static_html`: data plus a mount point that the book's
copy of the renderer fills in), read from the bank at that moment (``coursekit.sphinx_ext``).
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

REFERENCE = re.compile(r'<div class="ck-quiz-ref" data-ck-bank="(?P<bank>[^"]*)" data-ck-select="(?P<select>[^"]*)">'
                       r".*?</div>", re.DOTALL)


def script_json(data: Any) -> str:
    """JSON safe to place inside ``<script type="application/json">`` (no ``</script>`` break-out)."""
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def selection_text(section: str | None, ids: list[str] | None) -> str:
    """How a reference names its questions: ``section:NAME``, ``ids:a,b`` or ``all``."""
    if ids is not None:
        return "ids:" + ",".join(ids)
    return f"section:{section}" if section else "all"


def parse_selection(text: str) -> tuple[str | None, list[str] | None]:
    """The inverse of :func:`selection_text`: (section, ids)."""
    kind, _, rest = text.partition(":")
    if kind == "ids":
        return None, [i for i in rest.split(",") if i]
    if kind == "section" and rest:
        return rest, None
    if text == "all":
        return None, None
    raise ValueError(f"not a quiz selection: {text!r} (use section:NAME, ids:a,b or all)")


def reference_html(bank: str, section: str | None, ids: list[str] | None) -> str:
    """What a notebook stores for a quiz: which bank and questions, and a note for viewers without the book."""
    where = html.escape(f"quizzes/{bank}.yml" + (f", quiz point {section}" if section else ""))
    return (
        f'<div class="ck-quiz-ref" data-ck-bank="{html.escape(bank)}" data-ck-select="{html.escape(selection_text(section, ids))}">'
        f'<p class="ck-quiz-fallback">A quiz from <code>{where}</code> is shown here when this cell runs in Jupyter, '
        "and in the course's HTML book.</p></div>"
    )


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
        "This interactive quiz has not started: it needs JavaScript, which is off or blocked in this browser, "
        "or which this notebook viewer does not run. It works in the course's HTML book with JavaScript on "
        "(served or opened from disk), and in Jupyter when its cell runs.</p></div>\n"
        "</div>"
    )
