"""Course machinery for *MLOps for DevOps engineers*: quizzes, self-checks, exercise generation, notebook refresh."""

from __future__ import annotations

__all__ = ["quiz", "progress"]


def quiz(chapter: str, section: str | None = None, *, ids: list[str] | None = None):
    """Show the quiz for *chapter* ("01" or "01_ml_essentials"), one *section* of it, or given question *ids*."""
    from coursekit.quizzes.widget import make_quiz

    return make_quiz(chapter, section, ids=ids)


def progress(save: bool = False):
    """Show this notebook's quiz results (with those saved earlier); ``save=True`` keeps them in
    ``~/.mlops-course/progress.json`` (or ``$COURSEKIT_PROGRESS_FILE``) for later sessions."""
    from coursekit.progress_store import progress as _progress

    return _progress(save=save)
