"""Child process of the benchmark: execute one notebook (or only its import lines) and exit."""

from __future__ import annotations

import ast
import json
import os
import sys
from pathlib import Path

import nbformat

from coursekit.benchmark import pss
from coursekit.notebooks import io
from coursekit.notebooks.kernel import notebook_client


def imports_only(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The same notebook reduced to its top-level import statements: the floor to compare against."""
    statements = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:  # IPython magics: not plain Python
            continue
        statements += [ast.unparse(node) for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("\n".join(statements))])


def main() -> None:
    path = Path(sys.argv[1]).resolve()
    nb = io.read(path)
    if "--imports-only" in sys.argv:
        nb = imports_only(nb)
    notebook_client(nb, path.parent).execute()
    print(json.dumps({"runner_pss": pss(os.getpid())}))


if __name__ == "__main__":
    main()
