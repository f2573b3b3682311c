"""The renderer's pure logic (number parsing, answer checking) under Node's own test runner."""

from __future__ import annotations

import subprocess

from tests.support.tools import node


def test_quiz_js_unit_tests(root):
    result = subprocess.run([node(), "--test", "tests/js/"], cwd=root, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "# fail 0" in result.stdout and "# pass 0" not in result.stdout
