"""Measure what the README's budgets speak of; report a Markdown table. A measurement, not a test.

Per notebook: wall time and peak memory (kernel plus its child processes, sampled) executing on one
core, next to the floor (kernel start plus the notebook's import lines alone).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from coursekit.paths import course_root

SAMPLE_EVERY = 0.05  # seconds


def _tree_rss(proc: psutil.Process) -> int:
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


def measure(notebook: Path, imports_only: bool = False, cores: str = "0") -> dict[str, float]:
    """Execute *notebook* in a child process pinned to *cores*; return wall seconds and peak MB."""
    cmd = [sys.executable, "-m", "coursekit.benchmark_run", str(notebook)] + (["--imports-only"] if imports_only else [])
    if hasattr(os, "sched_setaffinity"):
        cmd = ["taskset", "-c", cores, *cmd]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=course_root(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    watcher, peak = psutil.Process(proc.pid), 0
    while proc.poll() is None:
        peak = max(peak, _tree_rss(watcher))
        time.sleep(SAMPLE_EVERY)
    wall = time.perf_counter() - start
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"{notebook}: execution failed\n{err[-2000:]}")
    runner = json.loads(out.strip().splitlines()[-1])  # the runner's own RSS, to subtract
    return {"wall_s": wall, "peak_mb": max(peak - runner["runner_rss"], 0) / 2**20}


def _timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=course_root(), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def _dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def main(out: Path) -> None:
    root = course_root()
    notebooks = sorted((root / "chapters").glob("*.ipynb")) + sorted((root / "solutions").glob("*.ipynb"))
    rows = ["| notebook | wall (s, 1 core) | peak memory (MB) | floor: kernel + imports (s / MB) |", "|---|---:|---:|---:|"]
    for nb in notebooks:
        full, floor = measure(nb), measure(nb, imports_only=True)
        rows.append(f"| {nb.parent.name}/{nb.name} | {full['wall_s']:.1f} | {full['peak_mb']:.0f} "
                    f"| {floor['wall_s']:.1f} / {floor['peak_mb']:.0f} |")
        print(rows[-1], flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        cold = _timed([sys.executable, "-m", "coursekit", "book", "--output", tmp])
        warm = _timed([sys.executable, "-m", "coursekit", "book", "--output", tmp])
    suite = _timed([sys.executable, "-m", "pytest", "-q", "-n", str(os.cpu_count() or 2)])
    env = _dir_size(Path(sys.prefix)) / 2**20
    summary = [
        "", "| measure | value |", "|---|---:|",
        f"| full test suite on {os.cpu_count()} cores | {suite:.0f} s |",
        f"| cold book build | {cold:.1f} s |",
        f"| no-change rebuild | {warm:.1f} s |",
        f"| installed environment ({Path(sys.prefix).name}) | {env:.0f} MB |",
    ]
    text = "\n".join(rows + summary) + "\n"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else course_root() / "benchmarks" / "results" / "latest.md")
