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


def test_suite_counts_read_pytest_junit_and_survive_a_missing_file(tmp_path) -> None:
    junit = tmp_path / "suite.xml"
    junit.write_text('<testsuites><testsuite tests="10" failures="2" errors="1" skipped="3"/></testsuites>')
    assert benchmark.suite_counts(junit) == {"passed": 4, "failed": 2, "errors": 1, "skipped": 3}
    assert benchmark.suite_counts(tmp_path / "none.xml") == {"passed": 0, "failed": 0, "errors": 0, "skipped": 0}


def test_a_failing_notebook_is_a_row_of_the_table_not_a_crash(tmp_path, monkeypatch) -> None:
    def failing(notebook, imports_only=False, cores="0"):
        raise RuntimeError(f"{notebook}: execution failed")

    monkeypatch.setattr(benchmark, "measure", failing)
    out = tmp_path / "latest.md"
    benchmark.main([str(out), "--only", "chapters/00_*", "--notebooks-only"])
    assert "| chapters/00_start_here.ipynb | failed | — | — |" in out.read_text()


def test_a_failing_command_is_timed_and_reported() -> None:
    seconds, code = benchmark._timed(["false"])
    assert code == 1 and seconds >= 0
    assert benchmark._status(seconds, code).endswith("(failed: exit 1)")
