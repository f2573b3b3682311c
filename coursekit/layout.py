"""Where the course's files are: the repository root, the quiz banks, the scratch folder."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
QUIZ_ASSETS = PACKAGE_DIR / "quizzes" / "assets"


MARKERS = ("_toc.yml", "path.yml", "quizzes")  # what makes a folder a course checkout


class CourseNotFound(RuntimeError):
    """coursekit was used outside a course checkout."""


def is_course_root(folder: Path) -> bool:
    return all((folder / name).exists() for name in MARKERS)


def course_root() -> Path:
    """The course checkout this code works on: ``$COURSEKIT_ROOT`` if set; else the nearest folder, from the
    current directory up, that holds ``_toc.yml``, ``path.yml`` and ``quizzes/`` (a notebook runs in its own
    folder, so this finds the checkout it was opened from, however coursekit was installed: Binder installs it
    into site-packages); else the folder holding this package, when that is a checkout (an editable install).
    """
    env = os.environ.get("COURSEKIT_ROOT")
    if env:
        return Path(env).resolve()
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if is_course_root(folder):
            return folder
    if is_course_root(PACKAGE_DIR.parent):
        return PACKAGE_DIR.parent
    raise CourseNotFound(
        f"coursekit works on a course checkout, and neither {here} (nor a folder above it) nor "
        f"{PACKAGE_DIR.parent} is one (a checkout holds {', '.join(MARKERS)}). Open the notebook from the "
        "course repository, or set COURSEKIT_ROOT to the repository's folder.")


def quizzes_dir() -> Path:
    """The folder of quiz banks, one YAML file per chapter."""
    return course_root() / "quizzes"


_prepared: set[Path] = set()


def scratch_root() -> Path:
    """Where notebooks may write: ``$COURSEKIT_SCRATCH`` if set (tests use a temp dir), else ``scratch/``."""
    env = os.environ.get("COURSEKIT_SCRATCH")
    return Path(env).resolve() if env else course_root() / "scratch"


def scratch_dir(name: str) -> Path:
    """A git-ignored folder ``scratch/<name>`` for the files a notebook writes.

    The first call in a process empties it, so every run of a notebook starts from the same state
    (and leftovers of an earlier run cannot change its outputs); later calls return it as it is.
    """
    path = scratch_root() / name
    if path not in _prepared:
        shutil.rmtree(path, ignore_errors=True)
        _prepared.add(path)
    path.mkdir(parents=True, exist_ok=True)
    return path


def display_path(path: Path) -> str:
    """*path* relative to the course root when it lies inside it (how error messages name files)."""
    try:
        return str(Path(path).resolve().relative_to(course_root()))
    except ValueError:
        return str(path)


def error_at(path: Path, message: str, **where: str | None) -> str:
    """An error message that names the file and then each given place, e.g. "quizzes/01.yml, question 'q1',
    field 'options': ..." for ``error_at(path, "...", question="q1", field="options")``."""
    parts = [display_path(path)] + [f"{kind} '{name}'" for kind, name in where.items() if name is not None]
    return f"{', '.join(parts)}: {message}"
