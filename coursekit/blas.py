"""Which OpenBLAS kernel this CPU runs, and another one it can run: CI repeats the strict notebook pass under
the other, so a stored output that only one CPU produces fails CI instead of a learner's `make test`.

``python -m coursekit.blas`` prints the other kernel's name (for ``OPENBLAS_CORETYPE``); ``--native`` this CPU's;
``run CMD...`` runs CMD with the other kernel forced, after checking that numpy really uses it.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys

# Kernels every CPU of the architecture can run, in order of preference for "the other one".
PORTABLE = {"x86_64": ("Sandybridge", "Haswell"), "aarch64": ("ARMV8", "NEOVERSEN1")}


def native() -> str:
    """The kernel numpy's OpenBLAS chose on this machine (or was forced to by ``OPENBLAS_CORETYPE``)."""
    import numpy  # noqa: F401 - loads numpy's OpenBLAS, which threadpoolctl then inspects
    from threadpoolctl import threadpool_info

    found = [i.get("architecture") for i in threadpool_info() if i.get("internal_api") == "openblas"]
    if not found or not found[0]:
        raise RuntimeError("numpy does not use OpenBLAS here, so OPENBLAS_CORETYPE cannot choose its kernel")
    return found[0]


def other(current: str, machine: str | None = None) -> str:
    """A kernel this machine can run that is not *current*."""
    machine = machine or platform.machine()
    if machine not in PORTABLE:
        raise RuntimeError(f"no known portable OpenBLAS kernels for {machine}: add them to coursekit.blas.PORTABLE")
    return next(k for k in PORTABLE[machine] if k.lower() != current.lower())


def run(command: list[str]) -> int:
    """Run *command* with ``OPENBLAS_CORETYPE`` set to another kernel than this CPU's; its exit code."""
    here = native()
    kernel = other(here)
    env = {**os.environ, "OPENBLAS_CORETYPE": kernel}
    seen = subprocess.run([sys.executable, "-m", "coursekit.blas", "--native"], env=env, capture_output=True,
                          text=True, timeout=120).stdout.strip()
    if seen.lower() != kernel.lower():
        raise RuntimeError(f"OPENBLAS_CORETYPE={kernel} did not take effect (numpy reports {seen or 'nothing'})")
    print(f"OpenBLAS kernel on this CPU: {here}; this run forces {kernel}", flush=True)
    return subprocess.call(command, env=env)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    try:
        if args[:1] == ["run"]:
            return run(args[1:])
        print(native() if "--native" in args else other(native()))
    except RuntimeError as exc:
        print(f"coursekit.blas: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
