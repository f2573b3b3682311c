"""Measure what the README's budgets speak of; report a Markdown table. A measurement, not a test.

Per notebook: wall time and peak memory (kernel plus its child processes, sampled) executing on one
core, next to the floor (kernel start plus the notebook's import lines alone).

Memory is the sum of each process's PSS (proportional set size): a page shared by several processes (the
same shared library mapped by the kernel and a server it started) is split between them, so the total
counts it once, as a container's memory limit does. Summing RSS would count it once per process.
Measure on an otherwise quiet machine: other processes mapping the same libraries lower everyone's PSS.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from coursekit.layout import course_root

SAMPLE_EVERY = 0.05  # seconds


def pss(pid: int) -> int:
    """Proportional set size of one process in bytes (Linux), falling back to RSS elsewhere."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return psutil.Process(pid).memory_info().rss
    except psutil.Error:
        return 0


def _tree_memory(proc: psutil.Process) -> int:
    try:
        family = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0
    return sum(pss(p.pid) for p in family)


def measure(notebook: Path, imports_only: bool = False, cores: str = "0") -> dict[str, float]:
    """Execute *notebook* in a child process pinned to *cores*; return wall seconds and peak MB."""
    cmd = [sys.executable, "-m", "coursekit.benchmark_run", str(notebook)] + (["--imports-only"] if imports_only else [])
    if hasattr(os, "sched_setaffinity"):
        cmd = ["taskset", "-c", cores, *cmd]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=course_root(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    watcher, peak = psutil.Process(proc.pid), 0
    while proc.poll() is None:
        peak = max(peak, _tree_memory(watcher))
        time.sleep(SAMPLE_EVERY)
    wall = time.perf_counter() - start
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"{notebook}: execution failed\n{err[-2000:]}")
    runner = json.loads(out.strip().splitlines()[-1])  # the runner's own memory, to subtract
    return {"wall_s": wall, "peak_mb": max(peak - runner["runner_pss"], 0) / 2**20}


def _timed(cmd: list[str]) -> tuple[float, int]:
    """(wall seconds, exit code) of *cmd*; a failing command is measured and reported, never raised."""
    start = time.perf_counter()
    code = subprocess.run(cmd, cwd=course_root(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
    return time.perf_counter() - start, code


def suite_counts(junit: Path) -> dict[str, int]:
    """passed / failed / errors / skipped from pytest's JUnit XML (all zero when there is none)."""
    import xml.etree.ElementTree as ET

    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    try:
        root = ET.parse(junit).getroot()
    except (OSError, ET.ParseError):
        return {"passed": 0, "failed": 0, "errors": 0, "skipped": 0}
    for suite in ([root] if root.tag == "testsuite" else root.iter("testsuite")):
        for key in counts:
            counts[key] += int(suite.get(key, 0))
    return {"passed": counts["tests"] - counts["failures"] - counts["errors"] - counts["skipped"],
            "failed": counts["failures"], "errors": counts["errors"], "skipped": counts["skipped"]}


def _status(seconds: float, code: int, unit: str = "s", digits: int = 1) -> str:
    return f"{seconds:.{digits}f} {unit}" + ("" if code == 0 else f" (failed: exit {code})")


def _dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m coursekit.benchmark", description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", type=Path, help="where to write the table (default: benchmarks/results/latest.md)")
    parser.add_argument("--only", metavar="GLOB", help="measure only notebooks whose path matches, e.g. 'chapters/05*'")
    parser.add_argument("--notebooks-only", action="store_true", help="skip the test suite, book builds and environment size")
    args = parser.parse_args(argv)
    root = course_root()
    out = args.out or root / "benchmarks" / "results" / "latest.md"
    notebooks = sorted((root / "chapters").glob("*.ipynb")) + sorted((root / "solutions").glob("*.ipynb"))
    if args.only:
        notebooks = [nb for nb in notebooks if nb.relative_to(root).match(args.only)]
        if not notebooks:
            parser.error(f"no chapter or solution notebook matches {args.only!r}")
    rows = ["| notebook | wall (s, 1 core) | peak memory (MB, PSS) | floor: kernel + imports (s / MB) |",
            "|---|---:|---:|---:|"]

    def write(summary: list[str] = ()) -> str:  # after every row: an interrupted run still leaves its table
        text = "\n".join(rows + list(summary)) + "\n"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        return text

    for nb in notebooks:
        try:
            full, floor = measure(nb), measure(nb, imports_only=True)
            rows.append(f"| {nb.parent.name}/{nb.name} | {full['wall_s']:.1f} | {full['peak_mb']:.0f} "
                        f"| {floor['wall_s']:.1f} / {floor['peak_mb']:.0f} |")
        except RuntimeError as exc:
            rows.append(f"| {nb.parent.name}/{nb.name} | failed | — | — |")
            print(exc, file=sys.stderr)
        print(rows[-1], flush=True)
        write()
    summary: list[str] = []
    if not args.notebooks_only:
        with tempfile.TemporaryDirectory() as tmp:
            cold = _timed([sys.executable, "-m", "coursekit", "book", "--output", tmp])
            warm = _timed([sys.executable, "-m", "coursekit", "book", "--output", tmp])
            junit = Path(tmp) / "suite.xml"
            suite = _timed([sys.executable, "-m", "coursekit.offline", sys.executable, "-m", "pytest", "-q",
                            "-n", str(os.cpu_count() or 2), "--dist", "loadfile", "-p", "no:cacheprovider",
                            f"--junitxml={junit}"])
            counts = suite_counts(junit)
        env = _dir_size(Path(sys.prefix)) / 2**20
        summary = [
            "", "| measure | value |", "|---|---:|",
            f"| full test suite on {os.cpu_count()} cores | {_status(*suite, digits=0)} |",
            "| its tests | " + ", ".join(f"{n} {k}" for k, n in counts.items()) + " |",
            f"| cold book build | {_status(*cold)} |",
            f"| no-change rebuild | {_status(*warm)} |",
            f"| installed environment ({Path(sys.prefix).name}) | {env:.0f} MB |",
        ]
    print(write(summary))


if __name__ == "__main__":
    main()
