"""Start notebook kernels with this interpreter, whatever kernelspecs the user has installed."""

from __future__ import annotations

from pathlib import Path

import ipykernel.kernelspec
from jupyter_client import KernelManager
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient

from coursekit.notebooks.environment import apply_deterministic_env

TIMEOUT_PER_CELL = 120  # seconds


class CurrentEnvKernelSpecs(KernelSpecManager):
    """Every kernel name resolves to ipykernel in the running Python environment (as nbval's --nbval-current-env)."""

    def get_kernel_spec(self, kernel_name):
        return self.kernel_spec_class(resource_dir=ipykernel.kernelspec.RESOURCES, **ipykernel.kernelspec.get_kernel_dict())


def notebook_client(nb, cwd: Path, allow_errors: bool = False) -> NotebookClient:
    """An nbclient runner for *nb* in *cwd*: this environment's kernel, fixed env vars, no widget state kept."""
    apply_deterministic_env()
    km = KernelManager(kernel_name="python3", kernel_spec_manager=CurrentEnvKernelSpecs())
    return NotebookClient(
        nb, km=km, timeout=TIMEOUT_PER_CELL, allow_errors=allow_errors, resources={"metadata": {"path": str(cwd)}},
        store_widget_state=False, record_timing=False, extra_arguments=["--IPKernelApp.log_level=ERROR"],
    )
