"""Where the course's files are: the repository root, the quiz banks, the scratch folder."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
QUIZ_ASSETS = PACKAGE_DIR / "quizzes" / "assets"


def course_root() -> Path:
    """The course repository root: ``$COURSEKIT_ROOT`` if set, else the folder holding this package."""
    env = os.environ.get("COURSEKIT_ROOT")
    return Path(env).resolve() if env else PACKAGE_DIR.parent


def quizzes_dir() -> Path:
    """The folder of quiz banks, one YAML file per chapter."""
    return course_root() / "quizzes"


def scratch_dir(name: str) -> Path:
    """A git-ignored folder ``scratch/<name>`` for files a notebook writes; created if missing."""
    path = course_root() / "scratch" / name
    path.mkdir(parents=True, exist_ok=True)
    return path
