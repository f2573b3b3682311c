"""One mistake costs one task: a solution with one answer made wrong fails that task's check and no other.

Later tasks build on earlier answers (exercise 05 registers the run task 2 found and rolls back the version
task 3 promoted; exercise 03 lets task 3 use task 2's ``kv_cache_bytes``), so a check that judged a later
task against the right earlier result would fail it a second time, with a message about something the
learner did not do. Each case executes an in-memory copy of a solution (nothing is written to the
repository) with one answer cell's solution code changed to a typical mistake, the way nbgrader's autograde
runs a submission, and asserts which graded check cells fail: exactly the mistaken task's. About 20 s.
"""

from __future__ import annotations

import pytest

from coursekit.notebooks import io
from coursekit.notebooks.exercises import solution_paths
from coursekit.notebooks.kernel import notebook_client
from coursekit.notebooks.preprocessors import tags

SOLUTIONS = {p.stem: p for p in solution_paths()}

# (solution, answer cell, solution code, the same code with the mistake, the one check cell that must fail)
CASES = {
    "05-task2-sorted-descending": (
        "05_experiment_tracking", "task2-answer",
        'order_by=["metrics.val_log_loss ASC"]', 'order_by=["metrics.val_log_loss DESC"]', "task2-check"),
    "05-task1-run-left-open": (
        "05_experiment_tracking", "task1-answer",
        'with mlflow.start_run(run_name="task1") as run:',
        'run = mlflow.start_run(run_name="task1")   # never ended\nif True:', "task1-check"),
    "03-task2-query-heads": (
        "03_training_vs_inference", "task2-answer",
        'config["num_key_value_heads"]', 'config["num_attention_heads"]', "task2-check"),
}


def _with_mistake(stem: str, cell_id: str, right: str, wrong: str):
    nb = io.read(SOLUTIONS[stem])
    cell = next(c for c in nb.cells if c.id == cell_id)
    begin, end = cell.source.index("### BEGIN SOLUTION"), cell.source.index("### END SOLUTION")
    assert cell.source.count(right) == 1 and begin < cell.source.index(right) < end, \
        f"{stem} {cell_id}: the solution code changed; update this test's mistake"
    cell.source = cell.source.replace(right, wrong)
    return nb


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_one_mistake_fails_one_check(case, tmp_path, monkeypatch):
    stem, cell_id, right, wrong, failing = CASES[case]
    monkeypatch.setenv("COURSEKIT_SCRATCH", str(tmp_path))
    nb = _with_mistake(stem, cell_id, right, wrong)
    notebook_client(nb, SOLUTIONS[stem].parent, allow_errors=True).execute()

    errors = {c.id: [o for o in c.get("outputs", []) if o.output_type == "error"] for c in nb.cells}
    broken = {cid: f"{e[0].ename}: {e[0].evalue}" for cid, e in errors.items() if e}
    checks = [c for c in nb.cells if "check" in tags(c)]
    failed = {c.id for c in checks if errors[c.id]}
    assert failed == {failing}, f"{case}: failing checks {sorted(failed)}, expected only {failing}: {broken}"
    assert set(broken) == {failing}, f"{case}: other cells raised too: {broken}"
    assert errors[failing][0].ename == "CheckFailed", broken[failing]
    for cell in checks:
        if cell.id != failing:
            assert any("✔" in o.get("text", "") for o in cell.outputs), f"{case}: {cell.id} printed no ✔ line"
