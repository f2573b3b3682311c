"""The world of exercise 06, *Pipelines, orchestration and reproducibility*: a flaky disk, an orchestrator's retry
loop, a preemption, and the data the checks feed your functions.

- :class:`FlakyDisk` (task 2): a disk whose writes can fail half-way, like a node that dies mid-upload;
  :func:`run_with_retries` is what an orchestrator does with a step that fails.
- :class:`Preempted` (task 3): the exception a simulated spot-instance reclaim raises. It is chapter 06's own class
  (generated into :mod:`coursekit.exports.ch06`).
- :func:`disk_table` (task 1), :func:`daily_scores` (task 2) and :func:`training_data` (task 3): the seeded data
  the checks write to files or pass to your functions.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from coursekit.exports.ch06 import Preempted  # noqa: F401 - part of this world: chapter 06's own class


class FlakyDisk:
    """A disk whose writes can fail half-way, like a node that dies or a connection that drops mid-upload.

    ``fail_on`` lists which calls to :meth:`write_text` / :meth:`append_text` fail (1 = the first call).
    A failing call writes the first half of the text, then raises :class:`ConnectionResetError`.
    """

    def __init__(self, fail_on: tuple[int, ...] | set[int] = ()):
        self.fail_on = set(fail_on)
        self.calls = 0

    def _write(self, path: Path, text: str, mode: str) -> None:
        self.calls += 1
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, mode, encoding="utf-8") as handle:
            if self.calls in self.fail_on:
                handle.write(text[: len(text) // 2])
                raise ConnectionResetError(f"write #{self.calls} to {path.name} failed half-way")
            handle.write(text)

    def write_text(self, path: Path, text: str) -> None:
        """Create or overwrite *path* with *text*."""
        self._write(path, text, "w")

    def append_text(self, path: Path, text: str) -> None:
        """Append *text* to *path* (created if missing)."""
        self._write(path, text, "a")


def run_with_retries(step: Callable[[], Any], attempts: int = 3) -> Any:
    """Call *step* until it succeeds, retrying transient I/O errors, as an orchestrator would."""
    for attempt in range(1, attempts + 1):
        try:
            return step()
        except (ConnectionError, TimeoutError):
            if attempt == attempts:
                raise


def disk_table() -> pd.DataFrame:
    """Task 1: 40 disks (id, temperature, reallocated sectors, failed); the check writes it as CSV, then variants."""
    rng = np.random.default_rng(6)
    n = 40
    return pd.DataFrame({
        "disk_id": np.arange(1000, 1000 + n),
        "temp_c": rng.normal(38, 4, n).round(1),
        "reallocated_sectors": rng.poisson(3, n),
        "failed": (rng.random(n) < 0.2).astype(int),
    })


def daily_scores(day_index: int) -> pd.DataFrame:
    """Task 2: one day's failure scores of 8 disks (``disk_id``, ``score``)."""
    rng = np.random.default_rng(100 + day_index)
    return pd.DataFrame({"disk_id": np.arange(1, 9), "score": rng.random(8).round(3)})


def training_data() -> tuple[np.ndarray, np.ndarray]:
    """Task 3: 600 rows of 5 features and a binary label, for the checkpointed SGDClassifier."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(600, 5))
    y = (X @ np.array([1.0, -2.0, 0.5, 0.0, 1.5]) + rng.normal(scale=0.8, size=600) > 0).astype(int)
    return X, y
