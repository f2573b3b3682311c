"""House rules for the committed notebooks: executed, no widget state, setup cell, objectives, quizzes."""

from __future__ import annotations

import re

import pytest
import yaml

from coursekit.notebooks import io
from coursekit.notebooks.environment import TELEMETRY_OFF
from coursekit.notebooks.exercises import exercise_path, solution_paths
from coursekit.notebooks.refresh import executed_notebooks
from coursekit.notebooks.setup_cell import setup_source
from coursekit.notebooks.strictness import strict_share
from coursekit.quizzes.bank import bank_path, load_bank

EXECUTED = executed_notebooks()
CHAPTERS = [p for p in EXECUTED if p.parent.name == "chapters"]
EXERCISES = [exercise_path(p) for p in solution_paths()]
QUIZ_CALL = re.compile(r"""quiz\(\s*["'](\d\d)[^"']*["']\s*,\s*["']([\w-]+)["']""")


def test_strict_share_is_at_least_90_percent():
    strict, total = strict_share(EXECUTED)
    assert total and strict / total >= 0.90, f"only {strict}/{total} code cells compared strictly by nbval"


@pytest.mark.parametrize("path", EXECUTED, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_committed_executed_without_widget_state(path):
    nb = io.read(path)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert any(c.outputs for c in code), f"{path.name}: run `python -m coursekit refresh {path}`"
    assert all(c.execution_count is not None for c in code), f"{path.name}: some cells were not executed"
    assert "widgets" not in nb.metadata, f"{path.name}: stored widget state makes the book load CDN scripts"


@pytest.mark.parametrize("path", EXECUTED + EXERCISES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_first_cell_is_the_setup_cell(path, root):
    url = yaml.safe_load((root / "_config.yml").read_text())["repository"]["url"]
    first = io.read(path).cells[0]
    assert first.cell_type == "code" and "setup" in first.metadata.get("tags", []), f"{path.name}: no setup cell first"
    assert first.source == setup_source(), f"{path.name}: the setup cell is not coursekit's (run coursekit refresh)"
    assert f'"{url}"' in first.source, f"{path.name}: setup cell does not clone {url} (_config.yml repository.url)"
    assert not first.outputs, f"{path.name}: the setup cell must print nothing in the repository"


def test_setup_cell_switches_off_telemetry_before_any_import():
    """The variables work only if set before onnxruntime or mlflow is imported: the cell's first statement
    after importing the standard library sets them."""
    lines = [line for line in setup_source().splitlines() if not line.startswith("#")]
    assert lines[0] == "import importlib.util, os, pathlib, subprocess, sys"
    assert lines[1] == f"os.environ.update({TELEMETRY_OFF!r})"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_lists_its_objectives_and_shows_every_quiz_point(path):
    bank = load_bank(bank_path(path.stem))
    nb = io.read(path)
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    shown = {m.group(2) for c in nb.cells if c.cell_type == "code" for m in QUIZ_CALL.finditer(c.source)}
    points = {q.quiz for q in bank.questions}
    assert points == shown, f"{path.name}: quiz points in the bank {sorted(points)} vs shown {sorted(shown)}"
    if bank.placement:
        return  # chapter 00's placement check assesses other chapters' objectives, and has no exercise
    for objective in bank.objectives:
        assert f"**{objective}**" in markdown, f"{path.name}: objective {objective} is not listed"
    assert f"../exercises/{path.name}" in markdown, f"{path.name}: no link to its exercise"
