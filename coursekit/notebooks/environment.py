"""The fixed environment every notebook kernel runs in, for refresh and for the nbval tests alike."""

from __future__ import annotations

import os

DETERMINISTIC_ENV = {
    "PYTHONHASHSEED": "0",  # stable set/dict-of-str ordering across runs
    "MLFLOW_DISABLE_TELEMETRY": "true",  # nothing phones home
    "DO_NOT_TRACK": "1",
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
