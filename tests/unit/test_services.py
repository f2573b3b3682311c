"""coursekit.services: real servers (Python's http.server) started, waited for and stopped."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time

import httpx
import psutil
import pytest

from coursekit.services import LocalServer, ServerExited, free_port, wait_until_ready

HTTP_SERVER = [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", "{port}"]


def http_server(tmp_path, **kwargs) -> LocalServer:
    (tmp_path / "hello.txt").write_text("hello")
    return LocalServer(HTTP_SERVER, "/hello.txt", log=tmp_path / "server.log", cwd=tmp_path, **kwargs)


def gone(pid: int, within: float = 0.0) -> bool:
    """Whether process `pid` has ended (or is a zombie), polling for at most `within` seconds."""
    deadline = time.monotonic() + within
    while True:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)


def test_free_port_is_free_on_loopback():
    port = free_port()
    assert 1024 <= port <= 65535
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))  # still free: raises if not


def test_starts_answers_and_stops(tmp_path):
    with http_server(tmp_path) as server:
        assert server.running
        assert f"--bind 127.0.0.1 {server.port}" in " ".join(server.command)  # {port} filled in
        assert server.url == f"http://127.0.0.1:{server.port}"
        assert httpx.get(f"{server.url}/hello.txt", trust_env=False).text == "hello"
        pid = server.process.pid
    assert not server.running and server.process.returncode is not None
    assert gone(pid)  # the child itself, reaped by stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{server.url}/hello.txt", trust_env=False)


def test_stop_is_idempotent(tmp_path):
    server = http_server(tmp_path)
    server.stop()  # never started: nothing to do
    server.start()
    server.stop()
    code = server.process.returncode
    server.stop()
    assert code is not None and server.process.returncode == code and not server.running


def test_a_server_left_running_is_stopped_when_python_exits(tmp_path):
    script = textwrap.dedent(f"""
        import atexit, os
        from coursekit.services import LocalServer
        def after_the_helper():  # registered first, so atexit runs it after LocalServer's own handler
            print("still running at exit:", server.running)
        atexit.register(after_the_helper)
        server = LocalServer({HTTP_SERVER!r}, "/", log={str(tmp_path / "log")!r}, cwd={str(tmp_path)!r}).start()
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "still running at exit: False", out.stdout + out.stderr


def test_starting_twice_keeps_one_process(tmp_path):
    with http_server(tmp_path) as server:
        pid = server.process.pid
        assert server.start() is server and server.process.pid == pid


def test_an_explicit_port_is_used(tmp_path):
    port = free_port()
    with http_server(tmp_path, port=port) as server:
        assert server.port == port and server.url.endswith(f":{port}")


def test_listens_on_127_0_0_1_only(tmp_path):
    with http_server(tmp_path) as server:
        listening = [c for c in psutil.Process(server.process.pid).net_connections(kind="inet")
                     if c.status == psutil.CONN_LISTEN]
    assert listening and {c.laddr.ip for c in listening} == {"127.0.0.1"}, listening


def test_a_command_that_exits_at_once_fails_fast_with_its_code_and_log(tmp_path):
    noise = "x" * 5000
    exits = LocalServer([sys.executable, "-c", f"print('{noise}'); print('bad flag --nope'); raise SystemExit(3)"],
                        "/", log=tmp_path / "server.log")
    start = time.monotonic()
    with pytest.raises(RuntimeError) as raised:
        exits.start(timeout=30)
    assert time.monotonic() - start < 10  # not the 30 s timeout
    message = str(raised.value)
    assert isinstance(raised.value, ServerExited)
    assert "exited with code 3" in message and "bad flag --nope" in message and str(tmp_path / "server.log") in message
    assert len(message) < 2500  # the log's tail, not all of it
    assert not exits.running


def test_a_server_that_never_gets_ready_times_out_within_the_bound(tmp_path):
    never = http_server(tmp_path, ready=lambda response: False)  # answers 200, but never "ready"
    start = time.monotonic()
    with pytest.raises(TimeoutError) as raised:
        never.start(timeout=1.0)
    assert 1.0 <= time.monotonic() - start < 6
    assert f"{never.url}/hello.txt was not ready within 1.0 s" in str(raised.value)
    assert "GET /hello.txt" in str(raised.value)  # the log's tail: http.server logs each request
    assert not never.running  # stopped, not left behind


def test_a_ready_check_that_raises_leaves_nothing_running(tmp_path):
    broken = http_server(tmp_path, ready=lambda response: response.json()["ready"])  # hello.txt is not JSON
    with pytest.raises(ValueError):
        broken.start(timeout=10)
    assert broken.process is not None and not broken.running


def test_a_silent_process_times_out(tmp_path):
    silent = LocalServer([sys.executable, "-c", "import time; time.sleep(60)"], "/", log=tmp_path / "log")
    start = time.monotonic()
    with pytest.raises(TimeoutError):
        silent.start(timeout=0.5)
    assert time.monotonic() - start < 5 and not silent.running


def test_stop_sends_sigkill_when_sigterm_is_ignored(tmp_path):
    stubborn = textwrap.dedent("""
        import signal, sys, http.server
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), http.server.SimpleHTTPRequestHandler).serve_forever()
    """)
    server = LocalServer([sys.executable, "-c", stubborn, "{port}"], "/", log=tmp_path / "log", cwd=tmp_path).start()
    stopper = threading.Thread(target=server.stop, kwargs={"timeout": 0.5}, daemon=True)
    start = time.monotonic()
    stopper.start()
    stopper.join(timeout=5)
    try:
        assert not stopper.is_alive(), "stop() did not return: no SIGKILL after its timeout"
        assert 0.5 <= time.monotonic() - start < 5
        assert server.process.returncode == -signal.SIGKILL
    finally:
        server.process.kill()


def test_stop_reaches_the_whole_process_group(tmp_path):
    command = ["sh", "-c", f"sleep 300 & exec {sys.executable} -m http.server --bind 127.0.0.1 {{port}}"]
    server = LocalServer(command, "/", log=tmp_path / "log", cwd=tmp_path).start()
    children = psutil.Process(server.process.pid).children()
    assert [p.name() for p in children] == ["sleep"]
    server.stop()
    assert gone(children[0].pid, within=5)  # a signal is delivered asynchronously


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_the_server_dies_with_its_parent(tmp_path):
    parent = textwrap.dedent(f"""
        import sys, time
        from coursekit.services import LocalServer
        server = LocalServer({HTTP_SERVER!r}, "/", log={str(tmp_path / "log")!r}, cwd={str(tmp_path)!r}).start()
        print(server.process.pid, flush=True)
        time.sleep(300)
    """)
    proc = subprocess.Popen([sys.executable, "-c", parent], stdout=subprocess.PIPE, text=True)
    try:
        child = int(proc.stdout.readline())
        assert not gone(child)
        proc.kill()  # no atexit, no cleanup: only the kernel's signal can stop the server
        proc.wait(timeout=10)
        assert gone(child, within=10)
    finally:
        proc.kill()
        proc.wait()


def test_wait_until_ready_fails_at_once_when_the_server_is_not_alive():
    start = time.monotonic()
    with pytest.raises(ServerExited, match="stopped before"):
        wait_until_ready(f"http://127.0.0.1:{free_port()}/readyz", timeout=30, alive=lambda: False)
    assert time.monotonic() - start < 1


def test_wait_until_ready_returns_the_ready_answer(tmp_path):
    with http_server(tmp_path) as server:
        response = wait_until_ready(f"{server.url}/hello.txt", timeout=10)
    assert response.status_code == 200 and response.text == "hello"
