"""How current each chapter is, shown on the chapter itself and generated from one source.

Every chapter notebook carries a Markdown cell (id ``freshness``, right after its introduction) saying when
it was last reviewed and which versions of the tools it teaches produced its outputs. The date and the
tools come from ``path.yml``, the versions from the pins in ``requirements.txt`` (and, for a program pip does not
install, such as Prometheus, from ``system_tools`` in ``path.yml``); ``coursekit freshness``
writes the cells (no notebook is executed) and ``--check`` reports the ones that are out of step.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat

from coursekit.layout import course_root
from coursekit.notebooks import io
from coursekit.syllabus import load_path
from coursekit.syllabus.data import Chapter

CELL_ID = "freshness"
AFTER = "intro"  # the cell it follows
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;#]+)", re.MULTILINE)


class FreshnessError(ValueError):
    """A chapter names a tool that neither requirements.txt pins nor path.yml's system_tools lists."""


def pins(root: Path | None = None) -> dict[str, str]:
    """Pinned versions by normalised distribution name (PEP 503: lowercase, runs of -_. as -)."""
    text = ((root or course_root()) / "requirements.txt").read_text(encoding="utf-8")
    return {normalise(name): version for name, version in PIN.findall(text)}


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def python_version(root: Path | None = None) -> str:
    """The Python the pins are tested on, from Binder's runtime.txt (``python-3.11``)."""
    return ((root or course_root()) / "binder" / "runtime.txt").read_text(encoding="utf-8").strip().removeprefix("python-")


def line(chapter: Chapter, pinned: dict[str, str], python: str, system: dict[str, str] | None = None) -> str:
    """The freshness line of one chapter, as Markdown: pinned distributions first, then system programs."""
    system = system or {}
    missing = [t for t in chapter.tools if normalise(t) not in pinned and t not in system]
    if missing:
        raise FreshnessError(f"path.yml, chapter '{chapter.stem}', field 'tools': {', '.join(missing)} "
                             "neither pinned in requirements.txt nor listed in system_tools")
    with_tools = "".join(f", {t} {pinned[normalise(t)] if normalise(t) in pinned else system[t]}"
                         for t in chapter.tools)
    date = f"{chapter.reviewed.day} {chapter.reviewed:%B %Y}"
    return (f"*Verified on {date} with Python {python}{with_tools}: every output on this page comes from those "
            "versions. Corrections since earlier versions: [errata](../errata.md).*")


def with_freshness(nb: nbformat.NotebookNode, text: str) -> bool:
    """Put *text* in the notebook's freshness cell (created after the intro cell); True if it changed."""
    cell = next((c for c in nb.cells if c.get("id") == CELL_ID), None)
    if cell is not None:
        if cell.source == text:
            return False
        cell.source = text
        return True
    cell = nbformat.v4.new_markdown_cell(text)
    cell.id = CELL_ID
    after = next((i for i, c in enumerate(nb.cells) if c.get("id") == AFTER), 0)
    nb.cells.insert(after + 1, cell)
    return True


def update(check: bool = False, root: Path | None = None) -> list[Path]:
    """Write every chapter's freshness cell; with *check*, only list the chapters whose cell is out of step."""
    root = root or course_root()
    course, pinned, python = load_path(root), pins(root), python_version(root)
    changed = []
    for chapter in course.chapters:
        path = root / "chapters" / f"{chapter.stem}.ipynb"
        nb = io.read(path)
        if with_freshness(nb, line(chapter, pinned, python, course.system_tools)):
            changed.append(path)
            if not check:
                path.write_text(io.dumps(nb), encoding="utf-8")
    return changed


def main(check: bool = False) -> int:
    try:
        changed = update(check)
    except FreshnessError as exc:
        print(exc, file=sys.stderr)
        return 1
    for path in changed:
        print(f"{'out of date' if check else 'updated'}: chapters/{path.name}", file=sys.stderr if check else sys.stdout)
    return 1 if check and changed else 0
