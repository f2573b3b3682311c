"""The programs outside Python that the tests run: found, or the test fails saying how to install them.

A missing tool fails the test (it does not skip it), so a machine without it cannot pass by running less.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.support.book_server import CHROMIUM


def chromium() -> str:
    """The Chromium the browser tests drive, or a failure that says how to install one."""
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"No Chromium at {CHROMIUM}: the browser tests drive Debian's chromium. Install it with "
                    "`apt-get install chromium` (.ci/run does), or set COURSEKIT_CHROMIUM to a Chromium or Chrome "
                    "binary", pytrace=False)
    return CHROMIUM


def node() -> str:
    """Node.js, which runs the quiz renderer's unit tests and bundles, or a failure that says how to install it."""
    found = shutil.which("node")
    if not found:
        pytest.fail("Node.js (`node`) is not on PATH: the JavaScript tests run under it. Install it with "
                    "`apt-get install nodejs` (.ci/run does), or from https://nodejs.org/", pytrace=False)
    return found
