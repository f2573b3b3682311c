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
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from coursekit import quiz
from tests.book_server import CHROMIUM, CHROMIUM_ARGS
from tests.quiz_driver import answer_by_mouse, folded, squeezed

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "chapters" / "01_ml_essentials.ipynb"
BANK = ROOT / "quizzes" / "01_ml_essentials.yml"
QUIZ_POINT = "data"  # the chapter's first quiz cell is quiz("01", "data")
CELLS = ["setup", "imports", "quiz-data"]  # what that cell needs, by cell id, run in this order
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
# Bounded waits (seconds); each failure names what did not happen and shows the server log's tail.
SERVER_START, KERNEL_READY, CELL_RUN, RENDER, SYNC = 60, 60, 60, 20, 15
FROM_THE_QUIZ = re.compile(r"quiz|ck-|coursekit|anywidget|widget|blob:", re.I)  # where a quiz error shows

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is not installed")]


# --------------------------------------------------------------------------- the server


@dataclass(frozen=True)
class FrontEnd:
    id: str  # the test's parameter id
    name: str  # what window.jupyterapp.name says
    module: str  # `python -m MODULE` starts the server with this front end
    app_class: str  # the server extension app whose expose_app_in_browser sets window.jupyterapp
    open_url: str  # the page showing one notebook, relative to the server's base URL

    def url(self, server: Server) -> str:
        return server.base + self.open_url.format(path=server.notebook, token=server.token)


JUPYTERLAB = FrontEnd("jupyterlab", "JupyterLab", "jupyterlab", "LabApp", "lab/tree/{path}?reset&token={token}")
NOTEBOOK7 = FrontEnd("notebook7", "Jupyter Notebook", "notebook", "JupyterNotebookApp",
                     "notebooks/{path}?token={token}")
FRONT_ENDS = [JUPYTERLAB, NOTEBOOK7]


@dataclass
class Server:
    token: str
    runtime: Path  # the server's JUPYTER_RUNTIME_DIR: its info file and the kernels' connection files
    log: Path
    notebook: str  # the copy's path relative to the server's root
    front_end: FrontEnd = JUPYTERLAB
    base: str = ""  # http://127.0.0.1:PORT/ once the server answers
    kernel_pids: list[int] = field(default_factory=list)  # stopped at teardown if the server left them

    def tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else "(no log)"
        return f"\n--- {self.front_end.name} server log (tail) ---\n" + "\n".join(text.splitlines()[-lines:])

    def api(self, path: str, method: str = "GET"):
        request = urllib.request.Request(self.base + path, method=method, data=b"" if method == "POST" else None,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None


def isolated_env(tmp: Path) -> dict[str, str]:
    """The server's (and so its kernels') environment: every place Jupyter, IPython, matplotlib or npm (run by
    jupyter-lsp) would write to is a temp folder; the caller's JUPYTER_*/IPYTHON* settings are dropped."""
    dirs = {"HOME": "home", "JUPYTER_CONFIG_DIR": "jupyter-config", "JUPYTER_DATA_DIR": "jupyter-data",
            "JUPYTER_RUNTIME_DIR": "jupyter-runtime", "IPYTHONDIR": "ipython", "MPLCONFIGDIR": "matplotlib",
            "XDG_CACHE_HOME": "cache", "XDG_CONFIG_HOME": "config", "XDG_DATA_HOME": "data",
            "COURSEKIT_SCRATCH": "scratch"}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "JPY_", "IPYTHON"))}
    for var, name in dirs.items():
        (tmp / name).mkdir()
        env[var] = str(tmp / name)
    env["PYTHONNOUSERSITE"] = "1"
    env["JUPYTER_TOKEN"] = uuid.uuid4().hex
    # No announcements plugin at all (it would offer to fetch news from jupyterlab.github.io).
    (tmp / "jupyter-config" / "labconfig").mkdir()
    (tmp / "jupyter-config" / "labconfig" / "page_config.json").write_text(
        json.dumps({"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}))
    return env


def stop_pid(pid: int, timeout: float = 10) -> None:
    """SIGTERM, then SIGKILL, one process this test started (by its id; not a child, so no zombie)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)


Lab = Server  # the name this class had when the test knew JupyterLab only


@contextmanager
def running_server(tmp_path: Path, notebook: Path, front_end: FrontEnd = JUPYTERLAB) -> Iterator[Server]:
    """A Jupyter server with *front_end* on 127.0.0.1 (a port the OS picks, read back from the server's info
    file), a random token, serving a temp folder that holds a copy of *notebook*; shut down, kernel included,
    on exit."""
    work = tmp_path / "notebooks"
    work.mkdir()
    shutil.copy(notebook, work / notebook.name)  # the server and kernel only ever see this copy
    env = isolated_env(tmp_path)
    server = Server(env["JUPYTER_TOKEN"], Path(env["JUPYTER_RUNTIME_DIR"]), tmp_path / "server.log", notebook.name,
                    front_end)
    cmd = [sys.executable, "-m", front_end.module, "--ServerApp.ip=127.0.0.1", "--ServerApp.port=0",
           "--ServerApp.port_retries=0", "--ServerApp.open_browser=False", f"--ServerApp.root_dir={work}",
           f"--{front_end.app_class}.expose_app_in_browser=True",  # window.jupyterapp: run cells by its commands
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
           "--LabApp.news_url=None", "--LabApp.extension_manager=readonly"]
    if os.geteuid() == 0:
        cmd.append("--ServerApp.allow_root=True")  # containers, and `coursekit.offline` as root
    with open(server.log, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=work, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT)
    try:
        info = server.runtime / f"jpserver-{proc.pid}.json"
        deadline = time.monotonic() + SERVER_START
        while True:
            if proc.poll() is not None:
                pytest.fail(f"{front_end.name} exited with code {proc.returncode} before serving" + server.tail())
            try:
                server.base = f"http://127.0.0.1:{json.loads(info.read_text())['port']}/"
                server.api("api/status")
                break
            except (ValueError, KeyError, OSError):
                pass  # no info file yet, half written, or the server not answering yet
            if time.monotonic() > deadline:
                pytest.fail(f"{front_end.name} did not answer within {SERVER_START} s" + server.tail())
            time.sleep(0.2)
        yield server
    finally:
        if proc.poll() is None and server.base:
            try:
                server.api("api/shutdown", method="POST")  # stops the kernels, then the server
                proc.wait(timeout=15)
            except (OSError, subprocess.TimeoutExpired):
                pass
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        for pid in server.kernel_pids:  # kernels run in a session of their own: stop any the server left
            stop_pid(pid)


def running_lab(tmp_path: Path, notebook: Path):
    """JupyterLab's server (tests/test_placement_jupyterlab.py uses this name)."""
    return running_server(tmp_path, notebook, JUPYTERLAB)


@pytest.fixture(params=FRONT_ENDS, ids=[f.id for f in FRONT_ENDS])
def lab(request, tmp_path):
    with running_server(tmp_path, NOTEBOOK, request.param) as server:
        yield server


# --------------------------------------------------------------------------- the page (the front end's own API)
# JupyterLab's and Notebook 7's application objects have the same shell and command API for these.

PANEL = """(path) => {
  const app = window.jupyterapp;
  if (!app) return null;
  return Array.from(app.shell.widgets('main')).find(w => w.context && w.context.path === path) || null;
}"""
KERNEL_IDLE = f"""(path) => {{
  const panel = ({PANEL})(path);
  const kernel = panel && panel.sessionContext.session && panel.sessionContext.session.kernel;
  return !!kernel && kernel.connectionStatus === 'connected' && kernel.status === 'idle';
}}"""
RUN_CELL = f"""([path, id]) => {{
  const panel = ({PANEL})(path);
  const index = panel.content.widgets.findIndex(c => c.model.id === id);
  if (index < 0) throw new Error('the notebook has no cell with id ' + id);
  panel.content.widgets[index].node.dataset.ckTestCell = id;  // for the locators
  panel.content.activeCellIndex = index;
  panel.content.deselectAll();
  // resolves (true: ran without error) once the kernel has replied and gone idle; polled by CELL_DONE
  const run = window.ckTestRun = {{id, result: null}};
  window.jupyterapp.commands.execute('notebook:run-cell')
    .then(ok => run.result = {{ok}}, e => run.result = {{ok: false, error: String(e)}});
}}"""
CELL_DONE = f"""([path, id]) => {{
  const run = window.ckTestRun;
  if (!run || run.id !== id || !run.result) return false;
  const cell = ({PANEL})(path).content.widgets.find(c => c.model.id === id);
  return {{...run.result, outputs: cell.model.outputs.toJSON()}};
}}"""
PAGE_STATE = f"""([path, id]) => {{
  const panel = ({PANEL})(path);
  if (!panel) return 'no notebook panel (window.jupyterapp: ' + !!window.jupyterapp + ')';
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  const config = JSON.parse(document.getElementById('jupyter-config-data').textContent);
  const cell = panel.content.widgets.find(c => c.model.id === id);
  return 'kernel: ' + (kernel ? kernel.status : 'none') + '; prebuilt extensions: '
    + (config.federated_extensions || []).map(e => e.name).join(', ')
    + '; output of ' + id + ': ' + (cell ? cell.outputArea.node.outerHTML.slice(0, 1500) : 'no such cell');
}}"""


def state_of(page, lab: Lab) -> str:
    try:
        return page.evaluate(PAGE_STATE, [lab.notebook, CELLS[-1]])
    except Exception as e:  # noqa: BLE001 - a diagnostic only
        return f"(page state unavailable: {e})"


def wait_js(page, lab: Lab, predicate: str, arg, timeout: float, what: str):
    """Poll a JS predicate in the page and return its value; fail naming *what* if it stays false."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        return page.wait_for_function(predicate, arg=arg, timeout=timeout * 1000, polling=100).json_value()
    except PlaywrightTimeout:
        pytest.fail(f"{what}: not within {timeout} s. Page: {state_of(page, lab)}" + lab.tail())


def run_cells(page, lab: Lab) -> list[dict]:
    """Run CELLS one after the other with the front end's notebook:run-cell; return the last one's outputs."""
    for cell_id in CELLS:
        page.evaluate(RUN_CELL, [lab.notebook, cell_id])
        done = wait_js(page, lab, CELL_DONE, [lab.notebook, cell_id], CELL_RUN, f"cell {cell_id!r} ran")
        raised = [f"{o['ename']}: {o['evalue']}" for o in done["outputs"] if o.get("output_type") == "error"]
        assert done["ok"] and not raised, \
            f"cell {cell_id!r} failed in {lab.front_end.name}: {done.get('error')} {raised}"
    return done["outputs"]


# --------------------------------------------------------------------------- the kernel, read from outside


class KernelReader:
    """A second client of the notebook's own kernel, found through the server's sessions API."""

    def __init__(self, lab: Lab):
        from jupyter_client import BlockingKernelClient

        sessions = [s for s in lab.api("api/sessions") if s["path"] == lab.notebook]
        assert len(sessions) == 1, f"expected one session for {lab.notebook}, the server has {sessions}"
        connection = lab.runtime / f"kernel-{sessions[0]['kernel']['id']}.json"
        assert connection.exists(), f"no {connection.name} in the server's runtime dir" + lab.tail()
        self.client = BlockingKernelClient(connection_file=str(connection))
        self.client.load_connection_file()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=KERNEL_READY)

    def run(self, code: str):
        """Run *code* in the kernel, outside its history, and return the JSON it prints."""
        out: list[str] = []

        def hook(msg):
            if msg["msg_type"] == "stream" and msg["content"]["name"] == "stdout":
                out.append(msg["content"]["text"])
            elif msg["msg_type"] == "error":
                out.append("\n".join(msg["content"]["traceback"]))

        reply = self.client.execute_interactive(code, store_history=False, output_hook=hook, timeout=SYNC)
        assert reply["content"]["status"] == "ok", "code failed in the notebook's kernel:\n" + "".join(out)
        return json.loads("".join(out))

    def close(self):
        self.client.stop_channels()


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


def test_live_quiz_answers_and_syncs_to_the_kernel(lab, tmp_path):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

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
    with sync_playwright() as pw:
        home = tmp_path / "browser-home"  # Chromium's crash-report settings and dconf cache land here, not in ~
        browser_env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
                       "XDG_CACHE_HOME": str(home / ".cache")}
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, env=browser_env)
        try:
            page = browser.new_page()
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

            outputs = run_cells(page, lab)
            t_run = time.monotonic()
            model_id = (outputs[0].get("data", {}).get(WIDGET_MIME, {}).get("model_id") if outputs else None)
            assert model_id, f"the quiz cell output no widget: {json.dumps(outputs)[:500]}"
            widget = page.locator(f'[data-ck-test-cell="{CELLS[-1]}"] .jp-OutputArea-executeResult .ck-quiz-ui')
            try:
                widget.wait_for(state="visible", timeout=RENDER * 1000)
            except PlaywrightTimeout:
                pytest.fail(f"the quiz widget did not render within {RENDER} s; errors {errors}. "
                            f"Page: {state_of(page, lab)}" + lab.tail())
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
        finally:
            browser.close()

    print(f"\n{app['name']} {app['version']} up and kernel idle {t_open - t0:.1f} s, cells {t_run - t_open:.1f} s, "
          f"quiz answered and read back {t_quiz - t_run:.1f} s")
    assert not outside, f"the page requested from outside the server: {outside}"
    from_quiz = [e for e in errors if FROM_THE_QUIZ.search(e)]
    assert not from_quiz, "console errors from the quiz:\n" + "\n".join(from_quiz)
    for e in errors:
        print("console error not from the quiz:", e)
