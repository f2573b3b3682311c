"""Preprocessors: each is one transformation of a notebook (the nbgrader / nbconvert model)."""

from __future__ import annotations

import re

from nbconvert.preprocessors import Preprocessor

SOLUTION_MARKER = "### BEGIN SOLUTION"
POINTS_TAG = re.compile(r"^points-(\d+(?:\.\d+)?)$")


def tags(cell) -> list[str]:
    return list(cell.metadata.get("tags", []))


class NormalizeMetadata(Preprocessor):
    """Give every notebook the same kernelspec, drop volatile metadata (widget state, timings), and
    hide the ``setup`` cell from the book (``remove-cell``: it matters only when a notebook runs alone)."""

    def preprocess(self, nb, resources):
        nb.metadata.pop("widgets", None)  # stored widget state would make the book load CDN scripts
        nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
        nb.metadata["language_info"] = {"name": "python"}
        for cell in nb.cells:
            cell.metadata.pop("execution", None)
            cell.metadata.pop("collapsed", None)
            if "setup" in tags(cell) and "remove-cell" not in tags(cell):
                cell.metadata["tags"] = tags(cell) + ["remove-cell"]
        return nb, resources


class NbgraderCellMetadata(Preprocessor):
    """Derive nbgrader cell metadata from a solution notebook's tags and markers.

    - code with ``### BEGIN SOLUTION`` or tagged ``answer``/``solution``: autograded answer cell;
    - Markdown tagged ``solution``: a manually graded answer (``points-N`` tag, default 1);
    - tagged ``check``: graded test cell worth ``points-N`` (default 1), locked;
    - every other cell: locked.
    The cell id is the nbgrader ``grade_id``.
    """

    def preprocess_cell(self, cell, resources, index):
        cell_tags = tags(cell)
        points = next((float(m.group(1)) for t in cell_tags if (m := POINTS_TAG.match(t))), 1.0)
        points = int(points) if points.is_integer() else points
        is_answer = ("solution" in cell_tags or "answer" in cell_tags
                     or (cell.cell_type == "code" and SOLUTION_MARKER in cell.source))
        meta = {"grade_id": cell.id, "schema_version": 3, "task": False}
        if is_answer and cell.cell_type == "markdown":
            meta.update(grade=True, solution=True, locked=False, points=points)
        elif is_answer:
            meta.update(grade=False, solution=True, locked=False)
        elif "check" in cell_tags:
            meta.update(grade=True, solution=False, locked=True, points=points)
        else:
            meta.update(grade=False, solution=False, locked=True)
        cell.metadata["nbgrader"] = meta
        return cell, resources


class DropSolutionOnlyCells(Preprocessor):
    """Remove cells tagged ``solution-only`` (notes meant for the solution page alone)."""

    def preprocess(self, nb, resources):
        nb.cells = [c for c in nb.cells if "solution-only" not in tags(c)]
        return nb, resources


class ClearOutputs(Preprocessor):
    """Remove outputs and execution counts (exercises are committed clean)."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        return cell, resources


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


class DropStaleWidgetViews(Preprocessor):
    """Remove widget views from stored outputs: their model ids are random and point at a kernel that is
    gone. The quiz's ``text/html`` and ``text/plain`` forms remain (the book renders the HTML form)."""

    def preprocess_cell(self, cell, resources, index):
        for output in cell.get("outputs", []):
            if WIDGET_VIEW in output.get("data", {}) and len(output["data"]) > 1:
                del output["data"][WIDGET_VIEW]
        return cell, resources
