"""Shared test setup: the notebooks' fixed environment, and a guard that tests leave tracked files alone."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from coursekit.notebooks.environment import apply_deterministic_env

ROOT = Path(__file__).resolve().parent

# nbval starts kernels from this process: give them the same environment as `coursekit refresh`.
apply_deterministic_env()


def _tracked_changes() -> str | None:
    try:
        out = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                             capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout if out.returncode == 0 else None


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config._tracked_before = _tracked_changes()  # type: ignore[attr-defined]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run if the tests (notebooks included) modified a tracked file."""
    if hasattr(session.config, "workerinput"):
        return  # xdist worker: the controller checks once at the end
    before, after = getattr(session.config, "_tracked_before", None), _tracked_changes()
    if before is not None and after is not None and after != before:
        print(f"\nTests modified tracked files (notebooks must write only to scratch/ or a temp dir):\n{after}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT
