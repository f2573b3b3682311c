"""Exercises are generated from solutions, carry nbgrader metadata, and fail only with "not done yet" when fresh."""

from __future__ import annotations

import copy

import pytest
from nbgrader.nbgraderformat import MetadataValidator

from coursekit.notebooks import io
from coursekit.notebooks.exercises import exercise_path, solution_paths, stale
from coursekit.notebooks.kernel import notebook_client
from coursekit.notebooks.preprocessors import NbgraderCellMetadata, tags

SOLUTIONS = solution_paths()
NOT_DONE = {"NotImplementedError", "NotDoneYet"}


def test_there_are_solutions():
    assert SOLUTIONS, "no solutions/NN_*.ipynb found"


def test_exercises_are_up_to_date():
    assert not stale(), f"out of date: {[p.name for p in stale()]}; run `python -m coursekit exercises`"


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.stem)
def test_solution_metadata_is_valid_nbgrader(solution):
    nb = io.read(solution)
    MetadataValidator().validate_nb(nb)
    expected, _ = NbgraderCellMetadata().preprocess(copy.deepcopy(nb), {})
    for cell, want in zip(nb.cells, expected.cells):
        assert cell.metadata.get("nbgrader") == want.metadata["nbgrader"], f"{solution.name} cell {cell.id}: run refresh"
    checks = [c for c in nb.cells if "check" in tags(c)]
    assert len(checks) >= 3, f"{solution.name}: an exercise needs at least three self-checked tasks"
    assert all(c.metadata["nbgrader"]["points"] > 0 for c in checks)


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.stem)
def test_solution_passes_every_check(solution):
    for cell in io.read(solution).cells:
        if "check" in tags(cell):
            errors = [o for o in cell.outputs if o.output_type == "error"]
            assert not errors, f"{solution.name} cell {cell.id}: {errors[0].ename}: {errors[0].evalue}"
            assert any("✔" in o.get("text", "") for o in cell.outputs), f"{solution.name} cell {cell.id}: no ✔ line"


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.stem)
def test_fresh_exercise_fails_only_as_not_done(solution, tmp_path, monkeypatch):
    monkeypatch.setenv("COURSEKIT_SCRATCH", str(tmp_path))  # not the scratch/ the solution's nbval run uses
    exercise = exercise_path(solution)
    nb = io.read(exercise)
    assert not any(c.get("outputs") for c in nb.cells if c.cell_type == "code"), "exercises are committed clean"
    notebook_client(nb, exercise.parent, allow_errors=True).execute()
    for cell in nb.cells:
        errors = [o for o in cell.get("outputs", []) if o.output_type == "error"]
        for err in errors:
            assert err.ename in NOT_DONE, f"{exercise.name} cell {cell.id}: unexpected {err.ename}: {err.evalue}"
        if "check" in tags(cell):
            assert errors, f"{exercise.name} cell {cell.id}: the check passed on an untouched exercise"
