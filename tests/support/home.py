"""The run's temporary HOME and what may be written there (the root conftest.py fails a run that writes more)."""

from __future__ import annotations

from pathlib import Path

# Jupyter's own state, which every run writes: anything else under HOME (a telemetry id, a cache, a config
# file) is a notebook or library writing to HOME, which the course forbids.
HOME_ALLOWED = {
    ".ipython": "IPython's profile and command history, kept by every kernel",
    ".local/share/jupyter": "Jupyter's runtime folder (the kernels' connection files)",
    ".cache/matplotlib": "matplotlib's font list cache",
    ".config/matplotlib": "matplotlib's config folder (created empty)",
    ".rustup": "rustup's settings, on machines with rustup: pip runs `rustc --version` for its user agent",
}

# Libraries switch their telemetry off by themselves when they see these (MLflow: PYTEST_CURRENT_TEST or CI;
# onnxruntime: CI). A learner's kernel has neither, so the notebooks' kernels must not have them either,
# or the HOME check could not see what a learner's run would write.
TESTING_MARKERS = ("PYTEST_CURRENT_TEST", "CI")


def written_to_home(home: Path) -> list[str]:
    """Files under *home* that are not Jupyter's own state (HOME_ALLOWED)."""
    allowed = tuple(f"{prefix}/" for prefix in HOME_ALLOWED)
    return sorted(rel for p in home.rglob("*") if p.is_file()
                  if not (rel := p.relative_to(home).as_posix()).startswith(allowed))
