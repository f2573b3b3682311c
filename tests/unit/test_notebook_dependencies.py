"""A notebook opened alone (Colab) installs ``coursekit[notebooks]``: that extra must cover every library
the chapters and solutions import."""

from __future__ import annotations

import ast
import functools
import re
import sys
import tomllib
from importlib.metadata import packages_distributions

import nbformat
import pytest

from coursekit.layout import course_root

ROOT = course_root()
NOTEBOOKS = sorted((ROOT / "chapters").glob("*.ipynb")) + sorted((ROOT / "solutions").glob("*.ipynb"))
ALWAYS_THERE = {"IPython", "coursekit"}  # the kernel itself, and the package the setup cell installs


def _name(requirement: str) -> str:
    return re.sub(r"[-_.]+", "-", re.split(r"[<>=~!\[; ]", requirement, maxsplit=1)[0]).lower()


@functools.cache
def _owners() -> dict[str, list[str]]:
    return packages_distributions()  # slow (reads every installed distribution): once per process


@functools.cache
def _declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return {_name(r) for r in project["dependencies"] + project["optional-dependencies"]["notebooks"]}


def imported_modules(path) -> dict[str, str]:
    """Top-level modules a notebook imports (absolute imports only), each with the cell that first does."""
    found: dict[str, str] = {}
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:  # IPython magics
            continue
        for node in ast.walk(tree):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level else [])
            for name in names:
                found.setdefault(name.split(".")[0], cell.get("id", "?"))
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_notebooks_extra_covers_every_import(path):
    declared, owners = _declared(), _owners()
    missing = []
    for module, cell in imported_modules(path).items():
        if module in sys.stdlib_module_names or module in ALWAYS_THERE:
            continue
        distributions = {_name(d) for d in owners.get(module, [])}
        if not distributions & declared:
            missing.append(f"{module} (cell {cell}; distribution {sorted(distributions) or 'not installed'})")
    assert not missing, (f"{path.relative_to(ROOT)} imports libraries that pyproject.toml's `notebooks` extra does "
                         f"not list, so it fails when opened alone (Colab): {missing}")


def test_name_normalisation():
    assert _name("prometheus_client==0.26") == "prometheus-client"
    assert _name("Scikit_Learn>=1.9 ; python_version>'3'") == "scikit-learn"


def test_a_maintainer_command_in_a_learners_install_says_what_to_install(monkeypatch, capsys):
    """`python -m coursekit exercises` with nbgrader missing (a coursekit[notebooks] install) explains itself."""
    import builtins

    from coursekit import cli

    real_import = builtins.__import__

    def no_nbgrader(name, *args, **kwargs):
        if name.startswith("nbgrader"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return real_import(name, *args, **kwargs)

    import coursekit.notebooks

    monkeypatch.setattr(builtins, "__import__", no_nbgrader)
    for module in [m for m in list(sys.modules) if m.startswith(("nbgrader", "coursekit.notebooks.exercises"))]:
        monkeypatch.delitem(sys.modules, module)
    monkeypatch.delattr(coursekit.notebooks, "exercises", raising=False)  # else `from ... import exercises` reuses it
    assert cli.main(["exercises", "--check"]) == 2
    err = capsys.readouterr().err
    assert "coursekit exercises: needs nbgrader" in err and "pip install -e '.[maint]'" in err
