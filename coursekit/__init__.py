"""Course machinery for *MLOps for DevOps engineers*: quizzes, self-checks, exercise generation, notebook refresh."""

from __future__ import annotations

__all__ = ["quiz", "progress", "scratch_dir", "path_map"]


def quiz(chapter: str, section: str | None = None, *, ids: list[str] | None = None):
    """Show the quiz for *chapter* ("01" or "01_ml_essentials"), one *section* of it, or given question *ids*."""
    from coursekit.quizzes.widget import make_quiz

    return make_quiz(chapter, section, ids=ids)


def progress(save: bool = False):
    """Show this notebook's quiz results (with those saved earlier); ``save=True`` keeps them in
    ``~/.mlops-course/progress.json`` (or ``$COURSEKIT_PROGRESS_FILE``) for later sessions."""
    from coursekit.progress_store import progress as _progress

    return _progress(save=save)


def scratch_dir(name: str):
    """A git-ignored folder ``scratch/<name>`` for the files a notebook writes (emptied on first use)."""
    from coursekit.layout import scratch_dir as _scratch_dir

    return _scratch_dir(name)


def path_map():
    """The course's path map: chapters, their prerequisites and minutes (drawn from path.yml)."""
    from coursekit.syllabus import path_map as _path_map

    return _path_map()
