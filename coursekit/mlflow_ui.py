"""An "MLflow UI" tile in the Jupyter launcher (Binder or local JupyterLab), through jupyter-server-proxy.

jupyter-server-proxy finds :func:`setup_mlflow` through the ``jupyter_serverproxy_servers`` entry point
in ``pyproject.toml``. When you click the tile, it starts the command below on a free port it chooses
(``{port}``), waits until that port answers, and proxies ``<jupyter url>/mlflow/`` to it behind
Jupyter's own login. The UI reads the stores that chapter 05 writes (``scratch/05_experiment_tracking``),
so run that chapter first, and restart the UI if you re-run it: the chapter deletes and recreates them.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from coursekit.layout import scratch_root

CHAPTER_SCRATCH = "05_experiment_tracking"  # the folder chapter 05 writes its stores to
BACKEND_DB = "mlflow.db"  # SQLite backend store: experiments, runs, params, metrics, registry
ARTIFACTS = "artifacts"  # artifact store: plots, model files

# Browsers send an Origin header with every POST (the UI searches runs with POST requests).
# MLflow blocks state-changing requests from origins other than localhost unless allowed, so allow the
# public Binder hosts; set COURSEKIT_MLFLOW_UI_ORIGINS (comma-separated, * wildcards) for another hub.
DEFAULT_ALLOWED_ORIGINS = "https://*.mybinder.org"

SERVER_ENV = {
    "MLFLOW_DISABLE_TELEMETRY": "true",  # no usage data sent anywhere
    "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",  # no background job runner: fewer processes, faster start
}


def _literal(text: str) -> str:
    """Escape braces: jupyter-server-proxy runs str.format on every argument to fill in {port}."""
    return text.replace("{", "{{").replace("}", "}}")


def store_paths(store_dir: Path | None = None) -> tuple[Path, Path]:
    """(backend store database, artifact folder) in *store_dir*, by default chapter 05's scratch folder."""
    # scratch_root(), not scratch_dir(): the latter empties the folder, and the UI must read what chapter 05 wrote.
    folder = Path(store_dir) if store_dir is not None else scratch_root() / CHAPTER_SCRATCH
    folder.mkdir(parents=True, exist_ok=True)
    return folder / BACKEND_DB, folder / ARTIFACTS


def mlflow_ui_command(store_dir: Path | None = None, port: str = "{port}") -> list[str]:
    """The ``mlflow server`` command line: 127.0.0.1 only, one worker, the chapter's two stores."""
    db, artifacts = store_paths(store_dir)
    origins = os.environ.get("COURSEKIT_MLFLOW_UI_ORIGINS", DEFAULT_ALLOWED_ORIGINS)
    return [
        _literal(sys.executable), "-m", "mlflow", "server",
        "--host", "127.0.0.1",
        "--port", port,
        "--workers", "1",
        "--backend-store-uri", _literal(f"sqlite:///{db}"),
        "--artifacts-destination", _literal(str(artifacts)),
        "--cors-allowed-origins", _literal(origins),
    ]


def setup_mlflow() -> dict:
    """The jupyter-server-proxy spec for the MLflow UI (entry point ``jupyter_serverproxy_servers``)."""
    return {
        "command": mlflow_ui_command(),
        "environment": dict(SERVER_ENV),
        "timeout": 90,  # seconds for the port to open: MLflow needs several, more on a busy Binder node
        # MLflow rejects requests whose Host header is not a local address (DNS-rebinding protection).
        # The proxy forwards the browser's Host (e.g. a Binder hostname), so present the server's own.
        "request_headers_override": {"Host": "127.0.0.1:{port}"},
        "absolute_url": False,  # MLflow sees paths starting at "/", as if it were served at the root
        "new_browser_tab": True,
        "launcher_entry": {"enabled": True, "title": "MLflow UI"},
    }
