"""The benchmark's measuring parts (the benchmark itself is a command, not a test)."""

from __future__ import annotations

import os

import nbformat
import psutil
import pytest

from coursekit import benchmark
from coursekit.benchmark_run import imports_only


def test_pss_is_positive_and_at_most_rss() -> None:
    rss = psutil.Process().memory_info().rss
    assert 0 < benchmark.pss(os.getpid()) <= rss


def test_pss_of_a_process_that_is_gone_is_zero() -> None:
    proc = psutil.Popen(["true"])
    proc.wait()
    assert benchmark.pss(proc.pid) == 0


def test_only_pattern_that_matches_nothing_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        benchmark.main(["--only", "chapters/99_*", "--notebooks-only"])
    assert "no chapter or solution notebook matches 'chapters/99_*'" in capsys.readouterr().err


def test_floor_keeps_only_import_statements() -> None:
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("import nothing"),
        nbformat.v4.new_code_cell("import os\nx = 1\nfrom pathlib import (\n    Path,\n)"),
        nbformat.v4.new_code_cell("%timeit x"),
    ])
    (cell,) = imports_only(nb).cells
    assert cell.source == "import os\nfrom pathlib import Path"
