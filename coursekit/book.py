"""Build the Jupyter Book, with or without the solutions (the instructors' switch)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from coursekit.layout import course_root

SOLUTIONS_PREFIX = "solutions/"


def without_solutions(entry: Any) -> Any:
    """A copy of a ``_toc.yml`` structure with every ``solutions/…`` entry removed."""
    if isinstance(entry, list):
        kept = [without_solutions(e) for e in entry
                if not (isinstance(e, dict) and str(e.get("file", "")).startswith(SOLUTIONS_PREFIX))]
        return kept
    if isinstance(entry, dict):
        out = {k: without_solutions(v) for k, v in entry.items()}
        for key in ("sections", "chapters", "parts"):
            if key in out and not out[key]:
                del out[key]
        return out
    return entry


def build_command(root: Path, output: Path | None, toc: Path | None) -> list[str]:
    cmd = [str(Path(sys.executable).parent / "jupyter-book"), "build", str(root), "--warningiserror", "--nitpick", "--keep-going"]
    if output is not None:
        cmd += ["--path-output", str(output)]
    if toc is not None:
        cmd += ["--toc", str(toc)]
    return cmd


def build(output: Path | None = None, solutions: bool = True, root: Path | None = None) -> int:
    """Build the HTML book into ``<output>/_build/html`` (default: the repository); return the exit code."""
    root = root or course_root()
    toc = None
    if not solutions:
        toc = (output or root) / "_build" / "toc-without-solutions.yml"
        toc.parent.mkdir(parents=True, exist_ok=True)
        data = without_solutions(yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8")))
        toc.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return subprocess.call(build_command(root, output, toc), cwd=root)
