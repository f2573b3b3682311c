"""CI's second strict notebook pass runs under another OpenBLAS kernel than this CPU's (coursekit.blas)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from coursekit.blas import native, other


def test_the_other_kernel_differs_from_this_cpus():
    assert other(native()).lower() != native().lower()
    assert other("Sandybridge", "x86_64") == "Haswell" and other("SkylakeX", "x86_64") == "Sandybridge"


def test_an_unknown_architecture_is_named():
    with pytest.raises(RuntimeError, match="no known portable OpenBLAS kernels for riscv64"):
        other("x", "riscv64")


def test_run_forces_the_other_kernel_on_the_command():
    out = subprocess.run([sys.executable, "-m", "coursekit.blas", "run", sys.executable, "-m", "coursekit.blas",
                          "--native"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    forced = out.stdout.strip().splitlines()[-1]
    assert forced == other(native()) and f"this run forces {forced}" in out.stdout
