"""The live quiz in JupyterLab and in Jupyter Notebook 7, end to end: a real Jupyter server on 127.0.0.1
serving a temp copy of chapter 01, headless Chromium, a real kernel. The test runs once per front end (each
with a server of its own): JupyterLab (``python -m jupyterlab``, the notebook at ``/lab/tree/...``) and
Notebook 7 (``python -m notebook``, the notebook at ``/notebooks/...``). Notebook 7 is built from JupyterLab's
components: with ``JupyterNotebookApp.expose_app_in_browser`` it exposes its application as
``window.jupyterapp`` too, its shell lists the open notebook panel under ``widgets('main')``, and it has the
same ``notebook:run-cell`` command, so one page driver serves both. The quiz cell runs, the anywidget
renders, one question answered wrong then right shows the bank's feedback, and the SAME kernel then reads
the clicked answers back from the widget's ``responses`` and ``score``.

Everything the server, kernel and browser write goes to temp folders (HOME, Jupyter config/data/runtime,
IPython, matplotlib, XDG); nothing reaches for the network (update check, news and the PyPI extension
manager are off, and the page may load only from the server), so this passes under
``python -m coursekit.offline``. Notebook 7 loads the jupyterlab server extension as well, so the same
LabApp settings reach it. JUPYTER_DATA_DIR is isolated, yet both front ends still find the prebuilt
widget extensions (anywidget, jupyterlab_widgets): jupyter_core always searches
``sys.prefix/share/jupyter/labextensions`` after the data dir.

The server, its isolation and the page and kernel helpers are in tests/support/jupyter.py (which says why the
server is a subprocess of its own); the browser is pytest-playwright's shared one (tests/conftest.py).
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
import yaml

from coursekit import quiz
from tests.support.jupyter import (
    FRONT_ENDS,
    KERNEL_IDLE,
    KERNEL_READY,
    RENDER,
    SYNC,
    WIDGET_MIME,
    KernelReader,
    Server,
    run_cells,
    running_server,
    state_of,
    wait_js,
)
from tests.support.quiz_driver import answer_by_mouse, folded, squeezed

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "chapters" / "01_ml_essentials.ipynb"
BANK = ROOT / "quizzes" / "01_ml_essentials.yml"
QUIZ_POINT = "data"  # the chapter's first quiz cell is quiz("01", "data")
CELLS = ["setup", "imports", "quiz-data"]  # what that cell needs, by cell id, run in this order
FROM_THE_QUIZ = re.compile(r"quiz|ck-|coursekit|anywidget|widget|blob:", re.I)  # where a quiz error shows


@pytest.fixture(params=FRONT_ENDS, ids=[f.id for f in FRONT_ENDS])
def lab(request, tmp_path):
    with running_server(tmp_path, NOTEBOOK, request.param) as server:
        yield server


# --------------------------------------------------------------------------- the kernel, read from outside

# Every Quiz the notebook's cells returned (IPython keeps them in Out), as the kernel sees it now.
READ_QUIZZES = """
import json as _json
from coursekit.quizzes.widget import Quiz as _Quiz
print(_json.dumps([{"model_id": _q.model_id, "quiz_id": _q.quiz_id, "responses": _q.responses, "score": list(_q.score)}
                   for _q in dict.fromkeys(_v for _v in Out.values() if isinstance(_v, _Quiz))]))
"""


def kernel_view(reader: KernelReader, model_id: str, want: dict) -> dict:
    """The kernel's Quiz behind the rendered *model_id*, read until its ``responses`` equal *want* (the front
    end sends them after a click, asynchronously) or SYNC seconds pass; the caller asserts."""
    deadline = time.monotonic() + SYNC
    while True:
        found = [q for q in reader.run(READ_QUIZZES) if q["model_id"] == model_id]
        assert len(found) == 1, f"the kernel holds {len(found)} Quiz objects for the rendered model {model_id}"
        if found[0]["responses"] == want or time.monotonic() > deadline:
            return found[0]
        time.sleep(0.1)


# --------------------------------------------------------------------------- the test


def bank_questions(point: str) -> list[dict]:
    """The questions of one quiz point, read straight from the YAML bank (not through coursekit)."""
    return [q for q in yaml.safe_load(BANK.read_text(encoding="utf-8"))["questions"] if q.get("quiz") == point]


def feedback_of(group) -> str:
    """The whole feedback text of one question (an Outcome keeps only its first 300 characters, for messages)."""
    return group.locator(".ck-feedback").inner_text()


def markdown_text(md: str) -> str:
    """A short bank Markdown string as the browser shows it, whitespace squeezed (no code ticks, no emphasis)."""
    return squeezed(re.sub(r"[`*]", "", md))


def test_live_quiz_answers_and_syncs_to_the_kernel(lab: Server, page):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    questions = quiz("01", QUIZ_POINT).questions  # the payload the widget renders
    bank = bank_questions(QUIZ_POINT)
    assert [q["id"] for q in questions] == [q["id"] for q in bank], f"{BANK.name}: quiz point {QUIZ_POINT!r} changed"
    q, q_bank = questions[0], bank[0]
    assert q["type"] == "single", f"{BANK.name}: {q['id']} is no longer single choice; adapt this test"
    wrong_at = next(i for i, o in enumerate(q["options"]) if not o["correct"])  # what answer_by_mouse picks
    wrong = q["options"][wrong_at]["index"]  # what the kernel must record: its place in the bank, not on screen
    right = next(i for i, o in enumerate(q_bank["options"]) if o["correct"])
    assert wrong != wrong_at, f"{q['id']}: its first wrong option is shown where it stands in the bank, so this " \
        "test could not tell a shown position from a bank index; use a question whose options are reordered"
    n = len(questions)

    t0 = time.monotonic()
    page.set_default_timeout(15_000)
    errors, outside = [], []
    page.on("console", lambda m: errors.append(f"console error: {m.text} at {m.location.get('url')}")
            if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"page error: {e.message}\n{e.stack}"))
    page.on("request", lambda r: None if r.url.startswith((lab.base, "data:", "blob:"))
            else outside.append(r.url))
    page.goto(lab.front_end.url(lab))
    wait_js(page, lab, KERNEL_IDLE, lab.notebook, KERNEL_READY, "the notebook opened with an idle kernel")
    t_open = time.monotonic()
    app = page.evaluate("() => ({name: window.jupyterapp.name, version: window.jupyterapp.version})")
    assert app["name"] == lab.front_end.name, f"expected {lab.front_end.name}, the page runs {app}"

    outputs = run_cells(page, lab, CELLS)
    t_run = time.monotonic()
    model_id = (outputs[0].get("data", {}).get(WIDGET_MIME, {}).get("model_id") if outputs else None)
    assert model_id, f"the quiz cell output no widget: {json.dumps(outputs)[:500]}"
    widget = page.locator(f'[data-ck-test-cell="{CELLS[-1]}"] .jp-OutputArea-executeResult .ck-quiz-ui')
    try:
        widget.wait_for(state="visible", timeout=RENDER * 1000)
    except PlaywrightTimeout:
        pytest.fail(f"the quiz widget did not render within {RENDER} s; errors {errors}. "
                    f"Page: {state_of(page, lab, CELLS[-1])}" + lab.tail())
    groups = widget.get_by_role("group")
    assert [g.get_attribute("data-qid") for g in groups.all()] == [x["id"] for x in questions], \
        "the widget does not show the bank's questions in order"

    reader = KernelReader(lab)
    try:
        lab.kernel_pids.append(reader.run("import os; print(os.getpid())"))
        state = kernel_view(reader, model_id, {})
        assert (state["responses"], state["score"]) == ({}, [0, n]), f"before any answer: {state}"

        shown = answer_by_mouse(groups.nth(0), q, correct=False)
        assert shown.verdict_ok and shown.feedback_ok, f"wrong answer: feedback shown {shown.shown!r}"
        assert markdown_text(q_bank["options"][wrong]["feedback"]) in squeezed(feedback_of(groups.nth(0))), shown.shown
        state = kernel_view(reader, model_id, {q["id"]: {"answer": wrong, "correct": False}})
        assert state["responses"] == {q["id"]: {"answer": wrong, "correct": False}}, f"after wrong: {state}"
        assert state["score"] == [0, n], f"after wrong: {state}"

        shown = answer_by_mouse(groups.nth(0), q, correct=True)
        assert shown.verdict_ok and shown.feedback_ok, f"right answer: feedback shown {shown.shown!r}"
        assert markdown_text(q_bank["options"][right]["feedback"]) in squeezed(feedback_of(groups.nth(0))), shown.shown
        state = kernel_view(reader, model_id, {q["id"]: {"answer": right, "correct": True}})
        assert state["responses"] == {q["id"]: {"answer": right, "correct": True}}, f"after right: {state}"
        assert state["score"] == [1, n], f"after right: {state}"
        assert state["quiz_id"] == f"{BANK.stem}/{QUIZ_POINT}", state
    finally:
        reader.close()
    score_line = folded(widget.locator(".ck-score").inner_text())
    assert f"Score: 1 / {n}" in score_line, score_line
    t_quiz = time.monotonic()

    print(f"\n{app['name']} {app['version']} up and kernel idle {t_open - t0:.1f} s, cells {t_run - t_open:.1f} s, "
          f"quiz answered and read back {t_quiz - t_run:.1f} s")
    assert not outside, f"the page requested from outside the server: {outside}"
    from_quiz = [e for e in errors if FROM_THE_QUIZ.search(e)]
    assert not from_quiz, "console errors from the quiz:\n" + "\n".join(from_quiz)
    for e in errors:
        print("console error not from the quiz:", e)
