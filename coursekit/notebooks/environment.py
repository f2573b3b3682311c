"""The fixed environment every notebook kernel runs in, for refresh and for the nbval tests alike."""

from __future__ import annotations

import os

# Every library the course uses that would otherwise record or send usage data. The setup cell of every
# notebook sets the same variables (coursekit/notebooks/setup_cell.py), so learners get them too.
TELEMETRY_OFF = {
    "ORT_DISABLE_TELEMETRY": "1",  # onnxruntime >= 1.29 on Linux: device id + queued events under ~/.cache/Microsoft
    "MLFLOW_DISABLE_TELEMETRY": "true",  # MLflow 3: installation id in ~/.config/mlflow, usage events
    "DO_NOT_TRACK": "1",  # the cross-tool convention (consoledonottrack.com); MLflow reads it only as "true"
}

DETERMINISTIC_ENV = {
    "PYTHONHASHSEED": "0",  # stable set/dict-of-str ordering across runs
    **TELEMETRY_OFF,
    "OMP_NUM_THREADS": "1",  # same float summation order whatever the core count
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "TZ": "UTC",
    "MPLBACKEND": "module://matplotlib_inline.backend_inline",
    "PYDEVD_DISABLE_FILE_VALIDATION": "1",  # no debugger warning on stderr
}


def apply_deterministic_env() -> None:
    """Set the fixed environment in this process, so kernels started from it inherit it."""
    os.environ.update(DETERMINISTIC_ENV)
