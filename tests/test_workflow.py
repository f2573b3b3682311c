"""Every workflow in .github/workflows is valid against the GitHub workflow schema, checked offline.

The schema is the copy vendored in check-jsonschema (``--builtin-schema vendor.github-workflows`` reads
``check_jsonschema/builtin_schemas/vendor/github-workflows.json`` with importlib.resources; that schema has
only local ``#/...`` references, so nothing is downloaded). The check runs with sockets disabled to prove it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

WORKFLOWS = sorted((Path(__file__).resolve().parent.parent / ".github" / "workflows").glob("*.yml"))
WORKFLOW = WORKFLOWS[0]

# Runs check-jsonschema's CLI with every way to open a connection replaced by an error.
OFFLINE_CHECK = """
import runpy, socket, sys
def refuse(*args, **kwargs):
    raise OSError("network access attempted during an offline schema check")
socket.socket.connect = socket.socket.connect_ex = refuse
socket.create_connection = socket.getaddrinfo = refuse
sys.argv = ["check-jsonschema", *sys.argv[1:]]
runpy.run_module("check_jsonschema", run_name="__main__", alter_sys=True)
"""


def check(path: Path, *schema: str) -> subprocess.CompletedProcess:
    schema = schema or ("--builtin-schema", "vendor.github-workflows")
    return subprocess.run([sys.executable, "-c", OFFLINE_CHECK, *schema, "--no-cache", str(path)],
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_is_valid_offline(path):
    done = check(path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ok -- validation done" in done.stdout


def test_offline_guard_really_blocks_the_network():
    """Without this, the test above would pass vacuously if the guard did nothing."""
    done = check(WORKFLOW, "--schemafile", "https://json.schemastore.org/github-workflow.json")
    assert done.returncode != 0
    assert "network access attempted" in done.stdout + done.stderr


def test_a_job_without_runs_on_is_rejected(tmp_path):
    broken = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    del next(iter(broken["jobs"].values()))["runs-on"]
    path = tmp_path / "broken.yml"
    path.write_text(yaml.safe_dump(broken, sort_keys=False), encoding="utf-8")
    done = check(path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "'runs-on' is a required property" in done.stdout
