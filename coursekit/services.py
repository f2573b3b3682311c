"""Start a local server, wait until it is ready, stop it: the one helper the notebooks and tests share.

:class:`LocalServer` runs a command as a child process that listens on a free port of 127.0.0.1, logging to a
file. :meth:`~LocalServer.start` waits, for a bounded time, until an HTTP URL of it answers ready, and fails
early, with the log's tail, if the process exits first. :meth:`~LocalServer.stop` sends SIGTERM to its process
group, waits a bounded time, then sends SIGKILL. On Linux the child also asks the kernel for SIGTERM when its
parent dies (``prctl(PR_SET_PDEATHSIG)``), so a killed notebook kernel leaves no server behind, and ``atexit``
stops it when Python exits normally. :func:`wait_until_ready` is the readiness wait alone, for a server that
runs in a thread of this process.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import httpx

HOST = "127.0.0.1"  # the only address the course's servers listen on
POLL_S = 0.05  # between two readiness checks
TAIL_CHARS = 2000  # of the log, in error messages
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


class ServerExited(RuntimeError):
    """The server stopped before it was ready."""


def free_port() -> int:
    """A TCP port that is free on 127.0.0.1 right now (bind to port 0: the kernel picks one; read it back)."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def wait_until_ready(url: str, *, timeout: float = 30.0, ready: Callable[[httpx.Response], bool] | None = None,
                     alive: Callable[[], bool] | None = None) -> httpx.Response:
    """GET `url` every 50 ms until `ready(response)` (default: status 200) and return that response.

    TimeoutError after `timeout` seconds; ServerExited as soon as `alive()` (if given) says the server stopped.
    """
    deadline = time.monotonic() + timeout
    with httpx.Client(trust_env=False, verify=False) as client:  # no proxy; plain HTTP: no CA bundle to load
        while True:
            if alive is not None and not alive():
                raise ServerExited(f"the server stopped before {url} was ready")
            left = deadline - time.monotonic()
            try:
                response = client.get(url, timeout=max(0.1, min(2.0, left)))
                if ready(response) if ready else response.status_code == 200:
                    return response
            except httpx.TransportError:
                pass  # not listening yet
            if left <= 0:
                raise TimeoutError(f"{url} was not ready within {timeout} s")
            time.sleep(POLL_S)


def _die_with_parent() -> Callable[[], None] | None:
    """What the child runs just before the command: on Linux, ask for SIGTERM when its parent thread ends."""
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up here: the child only calls it
    parent = os.getpid()

    def in_child() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before prctl: no signal would ever come
            os._exit(1)

    return in_child


class LocalServer:
    """A server process on 127.0.0.1: started, waited for with a deadline, stopped with bounded waits.

    `command` is the real command line; each ``{port}`` in it is replaced by the port (`port`, or a free one).
    The command must bind to 127.0.0.1 itself. `ready_url_path` (e.g. ``/readyz``) is polled until
    `ready(response)` (default: status 200). Its output goes to `log`. `env` is the child's whole environment
    (default: this process's). ``with LocalServer(...) as server:`` starts and stops it.
    """

    def __init__(self, command: Sequence[str | os.PathLike], ready_url_path: str, *, log: Path,
                 env: Mapping[str, str] | None = None, cwd: str | os.PathLike | None = None, port: int | None = None,
                 ready: Callable[[httpx.Response], bool] | None = None):
        self.port = port or free_port()
        self.command = [str(arg).replace("{port}", str(self.port)) for arg in command]
        self.url = f"http://{HOST}:{self.port}"
        self.ready_url = self.url + "/" + ready_url_path.lstrip("/")
        self.log, self.env, self.cwd, self.ready = Path(log), env, cwd, ready
        self.process: subprocess.Popen | None = None
        program = Path(self.command[0]).name
        self.name = f"{program} -m {self.command[2]}" if self.command[1:2] == ["-m"] else program

    @property
    def running(self) -> bool:
        """Started and not exited."""
        return self.process is not None and self.process.poll() is None

    def tail(self) -> str:
        """The last characters of the log, for error messages."""
        try:
            return self.log.read_text(errors="replace")[-TAIL_CHARS:]
        except FileNotFoundError:
            return "(no log)"

    def launch(self) -> LocalServer:
        """Start the process and return at once; :meth:`wait_ready` then waits for it."""
        if self.running:
            return self
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log, "wb") as log:  # the child keeps its own handle
            self.process = subprocess.Popen(
                self.command, env=None if self.env is None else dict(self.env), cwd=self.cwd,
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,  # a process group of its own: one signal reaches all it starts
                preexec_fn=_die_with_parent())
        atexit.register(self.stop)
        return self

    def check(self) -> None:
        """Raise RuntimeError (ServerExited, with the exit code and the log's tail) unless the server runs."""
        if self.process is None:
            raise RuntimeError(f"{self.name} is not running: start() it first")
        if self.process.poll() is not None:
            raise self._exited()

    def _exited(self) -> ServerExited:
        return ServerExited(f"{self.name} exited with code {self.process.returncode}; "
                            f"its log ({self.log}) ends:\n{self.tail()}")

    def wait_ready(self, timeout: float = 30.0) -> httpx.Response:
        """Wait at most `timeout` s until the ready URL answers ready; return that answer. On failure, stop it."""
        self.check()
        try:
            return wait_until_ready(self.ready_url, timeout=timeout, ready=self.ready, alive=lambda: self.running)
        except ServerExited:
            self.stop()
            raise self._exited() from None
        except TimeoutError:
            self.stop()
            raise TimeoutError(f"{self.name}: {self.ready_url} was not ready within {timeout} s; "
                               f"its log ({self.log}) ends:\n{self.tail()}") from None
        except BaseException:  # `ready` raised, or Ctrl-C: leave nothing running
            self.stop()
            raise

    def start(self, timeout: float = 30.0) -> LocalServer:
        """Launch the server and wait at most `timeout` s until it is ready."""
        self.launch().wait_ready(timeout)
        return self

    def _signal_group(self, sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError):
            if hasattr(os, "killpg"):
                os.killpg(self.process.pid, sig)
            else:  # no process groups (Windows)
                self.process.terminate()

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM the process group, wait at most `timeout` s, then SIGKILL. Safe to call again."""
        if self.process is None:
            return
        atexit.unregister(self.stop)
        if self.process.poll() is None:
            kill = getattr(signal, "SIGKILL", signal.SIGTERM)
            self._signal_group(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self._signal_group(kill)
                self.process.wait()
            self._signal_group(kill)  # whatever of its group outlived it (just now: its id is not reused yet)

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
