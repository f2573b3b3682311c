"""Shared test setup: the notebooks' fixed environment, and a guard that tests leave tracked files alone."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from coursekit.notebooks.environment import apply_deterministic_env

ROOT = Path(__file__).resolve().parent

# nbval starts kernels from this process: give them the same environment as `coursekit refresh`.
apply_deterministic_env()

# The whole run (xdist workers and every kernel inherit it) gets an empty temporary HOME, and at the end
# nothing may be in it but the state Jupyter itself keeps: a notebook or library that writes to HOME (a
# telemetry id, a cache, a config file) fails the run. Notebooks write only to scratch/ or a temp dir.
HOME_ALLOWED = {
    ".ipython": "IPython's profile and command history, kept by every kernel",
    ".local/share/jupyter": "Jupyter's runtime folder (the kernels' connection files)",
    ".cache/matplotlib": "matplotlib's font list cache",
    ".config/matplotlib": "matplotlib's config folder (created empty)",
    ".rustup": "rustup's settings, on machines with rustup: pip runs `rustc --version` for its user agent",
}
if "COURSEKIT_TEST_HOME" not in os.environ:  # the controller; workers inherit it
    os.environ["COURSEKIT_TEST_HOME"] = os.environ["HOME"] = tempfile.mkdtemp(prefix="coursekit-test-home-")
TEST_HOME = Path(os.environ["COURSEKIT_TEST_HOME"])


# Libraries switch their telemetry off by themselves when they see these (MLflow: PYTEST_CURRENT_TEST or CI;
# onnxruntime: CI). A learner's kernel has neither, so the notebooks' kernels must not have them either,
# or the HOME check above could not see what a learner's run would write.
TESTING_MARKERS = ("PYTEST_CURRENT_TEST", "CI")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item):
    """Start each notebook's kernel (nbval does it in the first cell's setup) as a learner's would start."""
    if item.path.suffix == ".ipynb":
        for name in TESTING_MARKERS:
            os.environ.pop(name, None)
    return (yield)


def written_to_home(home: Path = TEST_HOME) -> list[str]:
    """Files under *home* that are not Jupyter's own state (HOME_ALLOWED)."""
    allowed = tuple(f"{prefix}/" for prefix in HOME_ALLOWED)
    return sorted(rel for p in home.rglob("*") if p.is_file()
                  if not (rel := p.relative_to(home).as_posix()).startswith(allowed))


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
    if written := written_to_home():
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


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def book(tmp_path_factory, request) -> Path:
    """The HTML book, built once per test run (with warnings as errors) and shared by xdist workers."""
    import fcntl

    from coursekit.book import build

    distributed = hasattr(request.config, "workerinput")  # an xdist worker: share with the others
    shared = tmp_path_factory.getbasetemp().parent if distributed else tmp_path_factory.getbasetemp()
    out, status = shared / "book", shared / "book.status"
    with open(shared / "book.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the first worker builds; the others wait, then reuse it
        if not status.exists():
            status.write_text(str(build(out)))
    assert status.read_text() == "0", "jupyter-book build -W failed: see the first worker's output above"
    return out / "_build" / "html"


@pytest.fixture(scope="module")
def site(book):
    """(base URL, browser): headless Chromium and the built book on 127.0.0.1, shared by the tests of one
    file on one worker (starting Playwright's driver and Chromium costs about two seconds each time)."""
    from tests.book_server import chromium_and_site

    with chromium_and_site(book) as pair:
        yield pair


SPREAD_FILES = {"tests/test_book_pages.py", "tests/test_book_quizzes.py"}  # one browser page per test


@pytest.hookimpl(optionalhook=True)  # only with pytest-xdist
def pytest_xdist_make_scheduler(config, log):
    """Like ``--dist loadfile`` (a notebook's cells must run in order in one kernel, so every file goes to
    one worker), except that the per-page browser tests spread over the workers one by one."""
    from xdist.scheduler import LoadScopeScheduling

    class FilesExceptBrowserPages(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            file = nodeid.split("::")[0]
            return nodeid if file in SPREAD_FILES else file

    return FilesExceptBrowserPages(config, log)
