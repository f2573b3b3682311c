"""No library phones home or writes to HOME: telemetry is off wherever the course runs.

The whole test run has a temporary HOME and fails at the end if anything but Jupyter's own state was
written there (the root conftest.py, with tests/support/home.py). These tests check the parts: the switches themselves, and the check.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from coursekit.notebooks.environment import DETERMINISTIC_ENV, TELEMETRY_OFF
from tests.support.home import HOME_ALLOWED, TESTING_MARKERS, written_to_home

ONNX_SESSION = """
import numpy as np, onnxruntime as ort
from skl2onnx import to_onnx
from sklearn.linear_model import LogisticRegression
model = LogisticRegression().fit(np.arange(20.0).reshape(10, 2), [0, 1] * 5)
onx = to_onnx(model, np.zeros((1, 2), dtype=np.float32), options={"zipmap": False})
ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"X": np.zeros((1, 2), np.float32)})
"""
MLFLOW_RUN = """
import mlflow, sys
mlflow.set_tracking_uri(f"sqlite:///{sys.argv[1]}/mlflow.db")
with mlflow.start_run():
    mlflow.log_param("a", 1)
"""


def run_in_home(code: str, home: Path, env: dict[str, str], *args: str) -> None:
    clean = {k: v for k, v in os.environ.items() if k not in (*TELEMETRY_OFF, *TESTING_MARKERS, "COURSEKIT_TEST_HOME")}
    out = subprocess.run([sys.executable, "-c", code, *args], env={**clean, **env, "HOME": str(home)},
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]


@pytest.mark.parametrize("code", [ONNX_SESSION, MLFLOW_RUN], ids=["onnxruntime", "mlflow"])
def test_with_telemetry_off_nothing_lands_in_home(code, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    run_in_home(code, home, DETERMINISTIC_ENV, str(tmp_path))
    assert written_to_home(home) == []


@pytest.mark.parametrize("code, trace", [(ONNX_SESSION, ".cache/Microsoft/DeveloperTools/.onnxruntime/deviceid"),
                                         (MLFLOW_RUN, ".config/mlflow/telemetry.json")], ids=["onnxruntime", "mlflow"])
def test_without_the_switches_these_libraries_do_write_to_home(code, trace, tmp_path):
    """The negative proof: the checks above would see the telemetry files these libraries write by default."""
    home = tmp_path / "home"
    home.mkdir()
    run_in_home(code, home, {}, str(tmp_path))
    assert trace in written_to_home(home)


def test_the_home_check_allows_only_jupyters_own_state(tmp_path):
    for rel in [*(f"{prefix}/x" for prefix in HOME_ALLOWED), ".cache/pip/http/a", ".mlflow/x", "stray.txt"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x")
    assert written_to_home(tmp_path) == [".cache/pip/http/a", ".mlflow/x", "stray.txt"]


def test_the_run_has_a_temporary_home():
    assert Path.home() == Path(os.environ["COURSEKIT_TEST_HOME"]) != Path("/root")
