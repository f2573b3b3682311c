"""Fixtures shared by the test files: a one-bank sample course, and the browser's launch options.

The browser tests use pytest-playwright's fixtures (``browser``, ``context``, ``page``): one Chromium per
worker for the whole run, a fresh context (empty storage) and page per test. Only how that Chromium is
launched is set here. With ``--screenshot only-on-failure --output DIR`` (what ``make test`` passes, DIR =
test-results/, git-ignored) a failing browser test leaves a screenshot in DIR/<test id>/, and with ``--tracing
retain-on-failure`` (``make test TRACES=1``) its Playwright trace: ``.venv/bin/playwright show-trace
DIR/<test id>/trace.zip``.
"""

from __future__ import annotations

import os

import pytest
import yaml

SAMPLE_BANK = {
    "chapter": "99_sample",
    "title": "Sample chapter",
    "objectives": {"99.1": "Know things"},
    "questions": [
        {"id": "sample-xss", "quiz": "a", "objective": "99.1", "type": "single",
         "prompt": "Is <script>alert(1)</script> run? See [x](javascript:alert(1)) and `</script>`",
         "options": [{"text": "**no**", "correct": True, "feedback": "Right."},
                     {"text": "<b>yes</b>", "correct": False, "feedback": "Wrong."}]},
        {"id": "sample-num", "quiz": "b", "objective": "99.1", "type": "numeric", "prompt": "Size?",
         "answer": 1.5, "tolerance": 0.1, "unit": "GB"},
    ],
}


@pytest.fixture
def sample_course(tmp_path, monkeypatch):
    """A course root holding only quizzes/99_sample.yml (SAMPLE_BANK), as COURSEKIT_ROOT."""
    (tmp_path / "quizzes").mkdir()
    (tmp_path / "quizzes" / "99_sample.yml").write_text(yaml.safe_dump(SAMPLE_BANK), encoding="utf-8")
    monkeypatch.setenv("COURSEKIT_ROOT", str(tmp_path))
    return tmp_path


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args, tmp_path_factory):
    """pytest-playwright's launch options, for Debian's chromium (not a browser Playwright downloads): its path
    (a failure, not a skip, when it is missing), its arguments, and a HOME of its own, because Chromium writes
    its profile, crash-report settings and caches under $HOME/.config and $HOME/.cache."""
    from tests.support.book_server import CHROMIUM_ARGS
    from tests.support.tools import chromium

    home = tmp_path_factory.mktemp("chromium-home")
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
           "XDG_CACHE_HOME": str(home / ".cache")}
    return {**browser_type_launch_args, "executable_path": chromium(), "args": CHROMIUM_ARGS, "env": env}
