"""Course machinery for *MLOps for DevOps engineers*: quizzes, self-checks, exercise generation, notebook refresh."""

from __future__ import annotations

__all__ = ["quiz"]


def quiz(chapter: str, section: str | None = None, *, ids: list[str] | None = None):
    """Show the quiz for *chapter* ("01" or "01_ml_essentials"), one *section* of it, or given question *ids*."""
    from coursekit.quizzes.widget import make_quiz

    return make_quiz(chapter, section, ids=ids)
