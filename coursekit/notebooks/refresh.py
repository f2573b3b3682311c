"""Re-execute notebooks in place, deterministically, so stored outputs are never edited by hand."""

from __future__ import annotations

from pathlib import Path

from nbclient.exceptions import CellExecutionError
from nbconvert.preprocessors import CoalesceStreamsPreprocessor

from coursekit.layout import course_root
from coursekit.notebooks import io
from coursekit.notebooks.kernel import notebook_client
from coursekit.notebooks.preprocessors import DropStaleWidgetViews, NbgraderCellMetadata, NormalizeMetadata
from coursekit.notebooks.setup_cell import EnsureSetupCell


class RefreshError(RuntimeError):
    """A notebook failed to execute; the file on disk is left unchanged."""


def executed(path: Path) -> str:
    """Execute one notebook (cwd = its folder) and return its text, outputs included."""
    nb = io.read(path)
    resources: dict = {}
    steps = [EnsureSetupCell, NormalizeMetadata] + ([NbgraderCellMetadata] if path.parent.name == "solutions" else [])
    for step in steps:
        nb, resources = step().preprocess(nb, resources)
    try:
        notebook_client(nb, path.parent).execute()
    except CellExecutionError as exc:
        raise RefreshError(f"{path}: a cell failed, file left unchanged\n{exc}") from exc
    # Stored outputs are made stable: streams merged (the kernel splits prints at random points),
    # widget views dropped (random model ids), metadata normalised.
    for step in (CoalesceStreamsPreprocessor, DropStaleWidgetViews, NormalizeMetadata):
        nb, _ = step().preprocess(nb, {})
    return io.dumps(nb)


def refresh(path: Path) -> bool:
    """Execute *path* in place; return True if its text changed."""
    text = executed(path)
    if path.read_text(encoding="utf-8") == text:
        return False
    path.write_text(text, encoding="utf-8")
    return True


def executed_notebooks(root: Path | None = None) -> list[Path]:
    """Every notebook committed with outputs: chapters and solutions."""
    root = root or course_root()
    return sorted((root / "chapters").glob("*.ipynb")) + sorted((root / "solutions").glob("*.ipynb"))
