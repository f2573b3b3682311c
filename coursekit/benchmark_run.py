"""Child process of the benchmark: execute one notebook (or only its import lines) and exit."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
import psutil

from coursekit.notebooks import io
from coursekit.notebooks.kernel import notebook_client


def imports_only(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The same notebook reduced to its top-level import lines: the floor to compare against."""
    lines = [line for c in nb.cells if c.cell_type == "code" for line in c.source.splitlines()
             if line.startswith(("import ", "from "))]
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("\n".join(lines))])


def main() -> None:
    path = Path(sys.argv[1]).resolve()
    nb = io.read(path)
    if "--imports-only" in sys.argv:
        nb = imports_only(nb)
    notebook_client(nb, path.parent).execute()
    print(json.dumps({"runner_rss": psutil.Process().memory_info().rss}))


if __name__ == "__main__":
    main()
