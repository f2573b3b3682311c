"""The placement check live in JupyterLab: a real server and kernel on a temp copy of chapter 00, headless
Chromium. The same fixed answers as in the book's test give the path that the rules give under node
(so the same path as the static book), and the notebook's own kernel receives that path in ``plan``.

The server, its isolation and the page helpers are those of the live quiz test (tests/support/jupyter.py);
the browser is pytest-playwright's shared one (tests/conftest.py).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from coursekit import quiz
from tests.support.jupyter import (
    KERNEL_IDLE,
    KERNEL_READY,
    SYNC,
    WIDGET_MIME,
    KernelReader,
    run_cells,
    running_lab,
    wait_js,
)
from tests.support.placement import node_path, pattern
from tests.support.quiz_driver import answer_by_mouse

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "chapters" / "00_start_here.ipynb"
CELLS = ["setup", "path-map", "quiz-placement"]  # cell ids, run in this order

READ_PLAN = """
import json as _json
from coursekit.quizzes.widget import Quiz as _Quiz
print(_json.dumps([{"model_id": _q.model_id, "plan": _q.plan, "answered": len(_q.responses)}
                   for _q in dict.fromkeys(_v for _v in Out.values() if isinstance(_v, _Quiz))]))
"""


@pytest.fixture
def lab(tmp_path):
    """JupyterLab on 127.0.0.1 serving a temp copy of chapter 00 (as for chapter 01's live quiz test)."""
    with running_lab(tmp_path, NOTEBOOK) as server:
        yield server


def test_placement_check_in_jupyterlab_gives_the_same_path(lab, page, tmp_path, root):
    page.set_default_timeout(15_000)
    errors = []
    page.on("pageerror", lambda e: errors.append(f"page error: {e.message}"))
    page.goto(f"{lab.base}lab/tree/{lab.notebook}?reset&token={lab.token}")
    wait_js(page, lab, KERNEL_IDLE, lab.notebook, KERNEL_READY, "the notebook opened with an idle kernel")
    outputs = run_cells(page, lab, CELLS)
    model_id = outputs[0]["data"][WIDGET_MIME]["model_id"]
    live = quiz("00", "placement")  # the same data the notebook's widget got (its text/html is a reference)
    data = {"questions": live.questions, "placement": live.placement}
    widget = page.locator(f'[data-ck-test-cell="{CELLS[-1]}"] .jp-OutputArea-executeResult .ck-quiz-ui')
    widget.wait_for(state="visible", timeout=20_000)

    assert [g.get_attribute("data-qid") for g in widget.get_by_role("group").all()] == \
        [q["id"] for q in data["questions"]], "the widget shows other questions than the bank's"
    responses = {}
    for q, group, right in zip(data["questions"], widget.get_by_role("group").all(), pattern(data["questions"])):
        assert answer_by_mouse(group, q, correct=right).verdict_ok, q["id"]
        responses[q["id"]] = {"correct": right}
    rows = widget.locator("table.ck-plan-table tbody tr").all()
    shown = {r.get_attribute("data-chapter"): r.get_attribute("data-recommended") for r in rows}

    reader = KernelReader(lab)
    try:
        lab.kernel_pids.append(reader.run("import os; print(os.getpid())"))
        deadline = time.monotonic() + SYNC
        while True:  # the front end sends the plan with the last answer, asynchronously
            kernel = [q for q in reader.run(READ_PLAN) if q["model_id"] == model_id]
            if (kernel and kernel[0]["answered"] == len(responses)) or time.monotonic() > deadline:
                break
            time.sleep(0.1)
    finally:
        reader.close()

    expected = {c["number"]: c["status"] for c in node_path(root, tmp_path, data["placement"], data["questions"],
                                                            responses)["chapters"]}
    assert shown == expected, "JupyterLab shows another path than the rules give (and the book shows)"
    assert kernel and kernel[0]["plan"] == expected, f"the kernel's plan: {kernel}"
    assert not errors, errors
