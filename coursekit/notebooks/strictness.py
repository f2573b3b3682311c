"""How many code cells nbval compares strictly (the rest carry an NBVAL_* skip marker)."""

from __future__ import annotations

from pathlib import Path

from coursekit.notebooks import io

SKIP_MARKERS = ("# NBVAL_IGNORE_OUTPUT", "# NBVAL_SKIP", "# NBVAL_RAISES_EXCEPTION")
SKIP_TAGS = {"nbval-ignore-output", "nbval-skip", "raises-exception"}


def is_strict(cell) -> bool:
    """True if nbval compares this code cell's outputs."""
    first = cell.source.lstrip().splitlines()[:1]
    marked = bool(first) and first[0].strip().startswith(SKIP_MARKERS)
    return not marked and not (SKIP_TAGS & set(cell.metadata.get("tags", [])))


def strict_share(paths: list[Path]) -> tuple[int, int]:
    """(strictly compared code cells, all code cells) over *paths*."""
    cells = [c for p in paths for c in io.read(p).cells if c.cell_type == "code"]
    return sum(map(is_strict, cells)), len(cells)
