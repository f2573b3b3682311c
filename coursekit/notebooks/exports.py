"""Write the chapter code that exercises reuse into ``coursekit/exports/chNN.py`` (d2l's ``#@save``, nbdev's export).

A chapter's code cell tagged ``export`` is copied, as it is, into the generated module of its chapter, after the
import lines of the chapter that the copied code needs (found by name in the chapter's own imports). So the
chapter stays the one source: the checks, the learner's world and later chapters import the generated module,
and ``python -m coursekit exports --check`` (a test runs it) fails while a module is out of step with its cells.

An exported cell holds definitions only: imports, ``def``, ``class`` and assignments. A name it uses must be
defined by an exported cell of the same chapter, imported by the chapter, or a builtin; anything else is an
error that names the cell.
"""

from __future__ import annotations

import ast
import builtins
import symtable
import sys
import textwrap
from pathlib import Path

from coursekit.layout import course_root
from coursekit.notebooks import io
from coursekit.notebooks.preprocessors import tags

TAG = "export"
PACKAGE = Path("coursekit") / "exports"
_DEFINITIONS = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Assign,
                ast.AnnAssign)


class ExportError(ValueError):
    """A cell tagged ``export`` cannot be exported as it is; the message names the notebook and the cell."""


def chapter_paths(root: Path | None = None) -> list[Path]:
    return sorted(((root or course_root()) / "chapters").glob("[0-9][0-9]_*.ipynb"))


def module_path(chapter: Path, root: Path | None = None) -> Path:
    """``chapters/09_monitoring_drift.ipynb`` -> ``coursekit/exports/ch09.py``."""
    return (root or course_root()) / PACKAGE / f"ch{chapter.name[:2]}.py"


def _imports_of(nb, where: str) -> dict[str, str]:
    """Every name the chapter's top-level import lines bind -> the import line that binds it (its first one)."""
    bound: dict[str, str] = {}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:  # IPython syntax (%magic, !shell): no Python imports to take from it
            continue
        for node in tree.body:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    line = f"import {alias.name}" + (f" as {alias.asname}" if alias.asname else "")
                    bound.setdefault(alias.asname or alias.name.split(".")[0], line)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module != "__future__":
                for alias in node.names:
                    if alias.name == "*":
                        raise ExportError(f"{where}: cell {cell.id!r} imports * from {node.module}: name what it uses")
                    line = f"from {node.module} import {alias.name}" + (f" as {alias.asname}" if alias.asname else "")
                    bound.setdefault(alias.asname or alias.name, line)
    return bound


def _globals_used(code: str) -> tuple[set[str], set[str]]:
    """(names the code defines at top level, global names it reads anywhere, functions and classes included)."""
    top = symtable.symtable(code, "<export>", "exec")
    defined = {s.get_name() for s in top.get_symbols() if s.is_assigned() or s.is_imported()}
    used = {s.get_name() for s in top.get_symbols() if s.is_referenced()}
    tables = list(top.get_children())
    while tables:
        table = tables.pop()
        tables += table.get_children()
        used |= {s.get_name() for s in table.get_symbols() if s.is_global() and s.is_referenced()}
    return defined, used


def _sorted_imports(lines: list[str]) -> list[str]:
    """``import x`` lines first, then ``from x import y``; the standard library's modules before the others."""
    def key(line: str) -> tuple[int, int, str]:
        top = line.split()[1].split(".")[0]
        return (0 if top in sys.stdlib_module_names else 1, 0 if line.startswith("import ") else 1, line)

    ordered = sorted(set(lines), key=key)
    out: list[str] = []
    for previous, line in zip([None, *ordered], ordered, strict=False):
        if previous is not None and key(previous)[0] != key(line)[0]:
            out.append("")
        out.append(line)
    return out


def module_text(chapter: Path, root: Path | None = None) -> str | None:
    """The text of *chapter*'s generated module, or None if no cell of the chapter is tagged ``export``."""
    root = root or course_root()
    where = chapter.relative_to(root).as_posix() if chapter.is_relative_to(root) else str(chapter)
    nb = io.read(chapter)
    cells = [c for c in nb.cells if TAG in tags(c)]
    if not cells:
        return None
    for cell in cells:
        if cell.cell_type != "code":
            raise ExportError(f"{where}: cell {cell.id!r} is tagged {TAG!r} but is not a code cell")
        try:
            tree = ast.parse(cell.source)
        except SyntaxError as exc:
            raise ExportError(f"{where}: cell {cell.id!r} is not plain Python (line {exc.lineno}): {exc.msg}") from None
        for node in tree.body:
            if not isinstance(node, _DEFINITIONS):
                raise ExportError(f"{where}: cell {cell.id!r} line {node.lineno}: an exported cell holds only "
                                  "definitions (imports, def, class, assignments); move this statement to a cell "
                                  "that is not exported")
    code = "\n\n\n".join(cell.source.strip("\n") for cell in cells) + "\n"
    defined, used = _globals_used(code)
    imports = _imports_of(nb, where)
    needed = used - defined - set(dir(builtins))
    missing = sorted(needed - set(imports))
    if missing:
        raise ExportError(f"{where}: the cells tagged {TAG!r} use {missing}, which no exported cell defines and the "
                          "chapter does not import: tag the cell that defines them, or pass them as arguments")
    ids = ", ".join(f"`{cell.id}`" for cell in cells)
    cells_are, those = ("cells", "those cells") if len(cells) > 1 else ("cell", "that cell")
    header = textwrap.fill(f'"""Generated from {where} by ``python -m coursekit exports``: the chapter\'s {cells_are} '
                           f"tagged `{TAG}` ({ids}). Do not edit this file: edit {those}, then run the command "
                           "again.", width=116) + '\n"""\n'
    import_lines = "\n".join(_sorted_imports([imports[name] for name in needed]))
    body = "\n\n\n".join(f"# --- cell `{cell.id}` ---\n{cell.source.strip(chr(10))}" for cell in cells)
    first = ast.parse(cells[0].source).body
    gap = "\n\n" if first and isinstance(first[0], (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) else "\n"
    return header + (f"\n{import_lines}\n" if import_lines else "") + gap + body + "\n"


def _outputs(root: Path) -> dict[Path, str | None]:
    return {module_path(chapter, root): module_text(chapter, root) for chapter in chapter_paths(root)}


def generate(root: Path | None = None) -> list[Path]:
    """Write every chapter's module (and remove those whose chapter exports nothing any more); return the changes."""
    root = root or course_root()
    changed = []
    for target, text in _outputs(root).items():
        if text is None:
            if target.exists():
                target.unlink()
                changed.append(target)
        elif not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
            changed.append(target)
    return changed


def stale(root: Path | None = None) -> list[Path]:
    """Modules missing, out of step with their chapter's cells, or left over from a chapter that exports nothing."""
    root = root or course_root()
    outputs = _outputs(root)
    out = [target for target, text in outputs.items()
           if (text is None and target.exists())
           or (text is not None and (not target.exists() or target.read_text(encoding="utf-8") != text))]
    expected = {target for target, text in outputs.items() if text is not None}
    out += [p for p in sorted((root / PACKAGE).glob("ch*.py")) if p not in expected and p not in out]
    return out
