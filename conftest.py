"""Shared test setup: the notebooks' fixed environment, a guard that tests leave tracked files and HOME alone,
each test's tier marker (from its folder), and how xdist spreads the tests over its workers.

The tiers, one folder each under tests/ (``pytest -m <tier>`` or ``pytest tests/<tier>`` runs one):
unit (pure Python and JavaScript: no kernel, no book build, no browser), checks (the exercises' self-checks),
notebooks (starts a kernel or runs the course's code in a subprocess; nbval's items from chapters/ and
solutions/ are in this tier too), book (builds or reads the built book, and its pages in a browser) and
jupyterlab (a live JupyterLab or Notebook 7 server). ``browser`` marks every test that drives Chromium.
``make test-fast`` runs unit and checks; ``make test`` runs everything.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from coursekit.notebooks.environment import apply_deterministic_env
from tests.support.home import TESTING_MARKERS, written_to_home

ROOT = Path(__file__).resolve().parent

# nbval starts kernels from this process: give them the same environment as `coursekit refresh`.
apply_deterministic_env()

# The whole run (xdist workers and every kernel inherit it) gets an empty temporary HOME, and at the end
# nothing may be in it but the state Jupyter itself keeps (tests/support/home.py: HOME_ALLOWED): a notebook or
# library that writes to HOME (a telemetry id, a cache, a config file) fails the run. Notebooks write only to
# scratch/ or a temp dir.
if "COURSEKIT_TEST_HOME" not in os.environ:  # the controller; workers inherit it
    os.environ["COURSEKIT_TEST_HOME"] = os.environ["HOME"] = tempfile.mkdtemp(prefix="coursekit-test-home-")
TEST_HOME = Path(os.environ["COURSEKIT_TEST_HOME"])


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item):
    """Start each notebook's kernel (nbval does it in the first cell's setup) as a learner's would start."""
    if item.path.suffix == ".ipynb":
        for name in TESTING_MARKERS:
            os.environ.pop(name, None)
    return (yield)


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
    if written := written_to_home(TEST_HOME):
        print(f"\nThe run wrote to HOME ({TEST_HOME}), which no notebook or library may do (scratch/ or a temp "
              "dir only; a telemetry id, a cache or a config file there is a defect):\n  " + "\n  ".join(written[:20]))
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    else:
        shutil.rmtree(TEST_HOME, ignore_errors=True)


@pytest.fixture(autouse=True, scope="module")
def _restore_environment():
    """Give every test file back the environment it started with (after its module fixtures end). Some libraries change os.environ as a side
    effect (``mlflow.set_tracking_uri`` and ``set_registry_uri`` export MLFLOW_* variables), and a notebook
    kernel started later on the same worker would inherit them."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


# Each test's tier is the folder it is in (tests/<tier>/...).
TIERS = ("unit", "checks", "notebooks", "book", "jupyterlab")


def tier_of(item: pytest.Item) -> str | None:
    if not item.path.is_relative_to(ROOT):
        return None
    parts = item.path.relative_to(ROOT).parts
    if parts[0] in ("chapters", "solutions"):
        return "notebooks"  # nbval
    if parts[0] == "tests" and len(parts) > 2 and parts[1] in TIERS:
        return parts[1]
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark each test with its tier, and with ``browser`` when it uses pytest-playwright's browser. A test file
    under tests/ but outside the tier folders is an error (it would run in no tier's loop)."""
    for item in items:
        if tier := tier_of(item):
            item.add_marker(tier)
        elif item.path.is_relative_to(ROOT / "tests"):
            raise pytest.UsageError(f"{item.path.relative_to(ROOT)}: put test files in one of the tier folders "
                                    f"tests/{{{','.join(TIERS)}}}/ (conftest.py says which is which)")
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker("browser")


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


# Files whose items share no state, so that each may go to any worker: the per-page browser tests (one page
# each) and the nbgrader round trip (one solution each, about 15 s).
SPREAD_FILES = {"tests/book/test_book_pages.py", "tests/book/test_book_quizzes.py",
                "tests/notebooks/test_nbgrader_roundtrip.py"}


@pytest.hookimpl(optionalhook=True)  # only with pytest-xdist
def pytest_xdist_make_scheduler(config, log):
    """Like ``--dist loadfile`` (a notebook's cells must run in order in one kernel, so every file goes to
    one worker), except that the items of SPREAD_FILES spread over the workers one by one.

    This overrides xdist's private ``LoadScopeScheduling._split_scope``. The public way, ``--dist loadgroup``
    with each item put in its file's ``xdist_group`` by a collection hook, does not work with pytest 9.2: xdist
    groups by a suffix it writes into the item's node id, which pytest 9.2's node ids no longer take, so every
    item is scheduled alone (pytest-dev/pytest-xdist#1386, open; fix proposed in #1388). Reproduced here with
    pytest 9.2.0 and xdist 3.8.0: the items of two files, each marked with its file's group, ran on both workers,
    as a notebook's cells would. Revisit once a fixed xdist is released.

    Only with ``--dist loadfile`` (what ``make test`` passes); any other mode is xdist's own (``make test-fast``
    uses ``--dist load``: its tests keep no state across a file).
    """
    if config.getoption("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class FilesExceptBrowserPages(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            file = nodeid.split("::")[0]
            return nodeid if file in SPREAD_FILES else file

    return FilesExceptBrowserPages(config, log)
