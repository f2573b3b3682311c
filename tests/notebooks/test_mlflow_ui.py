"""The "MLflow UI" launcher entry (coursekit.mlflow_ui) starts a working MLflow UI.

The test does what jupyter-server-proxy does with the spec: fills in a free port, starts the command with the
spec's environment, waits for the port, and requests a page; then stops the server. The course root is a temp
folder (``COURSEKIT_ROOT``), so the stores the command points at are temporary too. Everything is bounded by
timeouts, and the server runs in its own process group, which is killed in ``finally``.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest

pytest.importorskip("mlflow")

from coursekit import mlflow_ui

START_TIMEOUT = 90  # seconds: MLflow imports a large application and creates its tables first
REQUEST_TIMEOUT = 10


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, headers: dict | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")


@pytest.fixture()
def spec(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSEKIT_ROOT", str(tmp_path))
    return mlflow_ui.setup_mlflow()


def test_spec_shape(spec, tmp_path):
    command = spec["command"]
    assert command[1:4] == ["-m", "mlflow", "server"]
    assert command[command.index("--host") + 1] == "127.0.0.1"
    assert command[command.index("--port") + 1] == "{port}"
    assert command[command.index("--workers") + 1] == "1"
    db = command[command.index("--backend-store-uri") + 1]
    assert db == f"sqlite:///{tmp_path}/scratch/05_experiment_tracking/mlflow.db"
    assert command[command.index("--artifacts-destination") + 1] == f"{tmp_path}/scratch/05_experiment_tracking/artifacts"
    assert spec["launcher_entry"]["title"] == "MLflow UI"
    assert spec["timeout"] >= 30
    assert spec["environment"]["MLFLOW_DISABLE_TELEMETRY"] == "true"
    assert spec["request_headers_override"]["Host"] == "127.0.0.1:{port}"


def test_ui_serves_a_page(spec, tmp_path):
    port = free_port()
    command = [part.format(port=port) for part in spec["command"]]   # as jupyter-server-proxy renders it
    env = {**os.environ, **spec["environment"]}
    log = tmp_path / "server.log"
    with open(log, "wb") as out:
        server = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            assert server.poll() is None, f"the server exited early: {log.read_text()[-2000:]}"
            try:
                status, page = get(f"{base}/")
                break
            except OSError:
                assert time.monotonic() < deadline, f"no answer on 127.0.0.1 within {START_TIMEOUT} s"
                time.sleep(0.3)
        assert status == 200
        assert "<html" in page.lower() and "MLflow" in page

        # What the proxy's Host override is for: MLflow refuses a foreign Host header (DNS-rebinding protection).
        host = {"Host": spec["request_headers_override"]["Host"].format(port=port)}
        assert get(f"{base}/", {"Host": "hub.example.org"})[0] == 403
        assert get(f"{base}/", host)[0] == 200
        # The UI's own API calls go through the same server.
        status, body = get(f"{base}/ajax-api/2.0/mlflow/experiments/search?max_results=5", host)
        assert status == 200 and '"experiments"' in body
    finally:
        try:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=20)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)
