"""A live Jupyter server (JupyterLab or Notebook 7) for the browser, and the page and kernel helpers its tests share.

The server is a subprocess, not pytest-jupyter's ``jp_serverapp``: that one serves from the test process's own
event loop, which every blocking (sync) Playwright call in the test would stall, so the page could never load;
and a subprocess gets an environment of its own (:func:`isolated_env`) that its kernels inherit. The page is
driven through the front end's own application object (``window.jupyterapp``, its shell and commands) with the
small JavaScript snippets below; JupyterLab's own Playwright harness, Galata (``@jupyterlab/galata``), does the
same in TypeScript, which would bring a Node toolchain the course does not otherwise need.
"""

from __future__ import annotations

import json
import os
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

from coursekit.services import LocalServer

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
# Bounded waits (seconds); each failure names what did not happen and shows the server log's tail.
SERVER_START, KERNEL_READY, CELL_RUN, RENDER, SYNC = 60, 60, 60, 20, 15


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
    base: str = ""  # http://127.0.0.1:PORT/
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


@contextmanager
def running_server(tmp_path: Path, notebook: Path, front_end: FrontEnd = JUPYTERLAB) -> Iterator[Server]:
    """A Jupyter server with *front_end* on 127.0.0.1 (a free port; started, waited for and stopped by
    :class:`coursekit.services.LocalServer`), a random token, serving a temp folder that holds a copy of
    *notebook*; shut down, kernel included, on exit."""
    work = tmp_path / "notebooks"
    work.mkdir()
    shutil.copy(notebook, work / notebook.name)  # the server and kernel only ever see this copy
    env = isolated_env(tmp_path)
    server = Server(env["JUPYTER_TOKEN"], Path(env["JUPYTER_RUNTIME_DIR"]), tmp_path / "server.log", notebook.name,
                    front_end)
    cmd = [sys.executable, "-m", front_end.module, "--ServerApp.ip=127.0.0.1", "--ServerApp.port={port}",
           "--ServerApp.port_retries=0", "--ServerApp.open_browser=False", f"--ServerApp.root_dir={work}",
           f"--{front_end.app_class}.expose_app_in_browser=True",  # window.jupyterapp: run cells by its commands
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
           "--LabApp.news_url=None", "--LabApp.extension_manager=readonly"]
    if os.geteuid() == 0:
        cmd.append("--ServerApp.allow_root=True")  # containers, and `coursekit.offline` as root
    process = LocalServer(cmd, f"/api/status?token={server.token}", log=server.log, env=env, cwd=work)
    server.base = process.url + "/"
    try:
        try:
            process.start(timeout=SERVER_START)
        except (RuntimeError, TimeoutError) as e:  # each names the URL, the exit code or the wait, and the log's end
            pytest.fail(f"{front_end.name} did not start: {e}")
        yield server
    finally:
        if process.running:
            try:
                server.api("api/shutdown", method="POST")  # stops the kernels, then the server
                process.process.wait(timeout=15)
            except (OSError, subprocess.TimeoutExpired):
                pass
        process.stop()
        for pid in server.kernel_pids:  # kernels run in a session of their own: stop any the server left
            stop_pid(pid)


def running_lab(tmp_path: Path, notebook: Path):
    """JupyterLab's server."""
    return running_server(tmp_path, notebook, JUPYTERLAB)


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


def state_of(page, server: Server, cell: str | None = None) -> str:
    """What the page shows of the notebook: its kernel, the prebuilt extensions, and *cell*'s output (for messages)."""
    try:
        return page.evaluate(PAGE_STATE, [server.notebook, cell])
    except Exception as e:  # noqa: BLE001 - a diagnostic only
        return f"(page state unavailable: {e})"


def wait_js(page, server: Server, predicate: str, arg, timeout: float, what: str, cell: str | None = None):
    """Poll a JS predicate in the page and return its value; fail naming *what* if it stays false."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        return page.wait_for_function(predicate, arg=arg, timeout=timeout * 1000, polling=100).json_value()
    except PlaywrightTimeout:
        pytest.fail(f"{what}: not within {timeout} s. Page: {state_of(page, server, cell)}" + server.tail())


def run_cells(page, server: Server, cells: list[str]) -> list[dict]:
    """Run *cells* (by cell id) one after the other with the front end's notebook:run-cell; return the last
    one's outputs. Each must run without an error."""
    for cell_id in cells:
        page.evaluate(RUN_CELL, [server.notebook, cell_id])
        done = wait_js(page, server, CELL_DONE, [server.notebook, cell_id], CELL_RUN, f"cell {cell_id!r} ran", cell_id)
        raised = [f"{o['ename']}: {o['evalue']}" for o in done["outputs"] if o.get("output_type") == "error"]
        assert done["ok"] and not raised, \
            f"cell {cell_id!r} failed in {server.front_end.name}: {done.get('error')} {raised}"
    return done["outputs"]


# --------------------------------------------------------------------------- the kernel, read from outside


class KernelReader:
    """A second client of the notebook's own kernel, found through the server's sessions API."""

    def __init__(self, lab: Server):
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
