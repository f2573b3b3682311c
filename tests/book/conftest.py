"""The built book, and the book served on 127.0.0.1, for the tests in this folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


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


@pytest.fixture(scope="session")
def site(book) -> Iterator[str]:
    """The base URL of the built book, served on 127.0.0.1 once per worker. The browser tests open it in
    pytest-playwright's ``page`` (a fresh context each, from the worker's one Chromium: tests/conftest.py)."""
    from tests.support.book_server import serve

    with serve(book) as base:
        yield base
