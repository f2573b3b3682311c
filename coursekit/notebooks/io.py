"""Read and write notebooks the same way everywhere, so regenerated files are byte-stable."""

from __future__ import annotations

from pathlib import Path

import nbformat


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(str(path), as_version=4)


def dumps(nb: nbformat.NotebookNode) -> str:
    """Serialise like Jupyter does (sorted keys, one-space indent), ending with a newline."""
    nbformat.validate(nb)
    return nbformat.writes(nb) + "\n"


def write(nb: nbformat.NotebookNode, path: Path) -> None:
    Path(path).write_text(dumps(nb), encoding="utf-8")
