"""Generate ``exercises/`` from ``solutions/`` (the single source), with nbgrader's own ClearSolutions."""

from __future__ import annotations

import copy
from pathlib import Path

from nbgrader.preprocessors import ClearSolutions

from coursekit.layout import course_root
from coursekit.notebooks import io
from coursekit.notebooks.preprocessors import (
    ClearOutputs,
    DropSolutionOnlyCells,
    NbgraderCellMetadata,
    NormalizeMetadata,
)

PIPELINE = (NormalizeMetadata, NbgraderCellMetadata, DropSolutionOnlyCells, ClearSolutions, ClearOutputs)


def exercise_from_solution(solution_path: Path) -> str:
    """The exercise notebook text generated from one solution notebook."""
    nb = copy.deepcopy(io.read(solution_path))
    resources: dict = {}
    for step in PIPELINE:
        nb, resources = step().preprocess(nb, resources)
    return io.dumps(nb)


def solution_paths(root: Path | None = None) -> list[Path]:
    return sorted(((root or course_root()) / "solutions").glob("[0-9][0-9]_*.ipynb"))


def exercise_path(solution_path: Path) -> Path:
    return solution_path.parent.parent / "exercises" / solution_path.name


def generate(root: Path | None = None) -> list[Path]:
    """Write every exercise; return the ones that changed."""
    changed = []
    for solution in solution_paths(root):
        target, text = exercise_path(solution), exercise_from_solution(solution)
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.parent.mkdir(exist_ok=True)
            target.write_text(text, encoding="utf-8")
            changed.append(target)
    return changed


def stale(root: Path | None = None) -> list[Path]:
    """Exercises missing or different from what their solution generates (plus orphans with no solution)."""
    root = root or course_root()
    out = [exercise_path(s) for s in solution_paths(root)
           if not exercise_path(s).exists() or exercise_path(s).read_text(encoding="utf-8") != exercise_from_solution(s)]
    sources = {s.name for s in solution_paths(root)}
    out += [e for e in sorted((root / "exercises").glob("*.ipynb")) if e.name not in sources]
    return out
