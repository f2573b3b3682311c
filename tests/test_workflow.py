""".github/workflows/book.yml: valid against the GitHub workflow schema (offline), and it builds and publishes the book.

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

WORKFLOW = Path(__file__).resolve().parent.parent / ".github" / "workflows" / "book.yml"

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


@pytest.fixture(scope="module")
def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def test_workflow_is_valid_offline():
    done = check(WORKFLOW)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ok -- validation done" in done.stdout


def test_offline_guard_really_blocks_the_network():
    """Without this, the test above would pass vacuously if the guard did nothing."""
    done = check(WORKFLOW, "--schemafile", "https://json.schemastore.org/github-workflow.json")
    assert done.returncode != 0
    assert "network access attempted" in done.stdout + done.stderr


def test_a_job_without_runs_on_is_rejected(tmp_path, workflow):
    broken = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    del broken["jobs"]["build"]["runs-on"]
    path = tmp_path / "broken.yml"
    path.write_text(yaml.safe_dump(broken, sort_keys=False), encoding="utf-8")
    done = check(path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "'runs-on' is a required property" in done.stdout


def test_triggers_permissions_and_concurrency(workflow):
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` key as True
    assert triggers["push"]["branches"] == ["main"]
    assert "workflow_dispatch" in triggers
    assert workflow["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    assert workflow["concurrency"] == {"group": "pages", "cancel-in-progress": False}


def test_builds_with_make_book_and_deploys_to_pages(workflow):
    build, deploy = workflow["jobs"]["build"], workflow["jobs"]["deploy"]
    uses = [s.get("uses", "").split("@")[0] for s in build["steps"]]
    assert uses[:3] == ["actions/checkout", "actions/setup-python", "actions/configure-pages"]
    setup = build["steps"][1]["with"]
    assert str(setup["python-version"]) == "3.11" and setup["cache"] == "pip"
    assert any(s.get("run", "").strip() == "make book" for s in build["steps"]), "build with the README's command"
    upload = next(s for s in build["steps"] if s.get("uses", "").startswith("actions/upload-pages-artifact@"))
    assert upload["with"]["path"] == "_build/html"
    assert deploy["needs"] == "build"
    assert deploy["environment"]["name"] == "github-pages"
    assert [s["uses"].split("@")[0] for s in deploy["steps"]] == ["actions/deploy-pages"]
    assert deploy["environment"]["url"] == "${{ steps.deployment.outputs.page_url }}"
    assert deploy["steps"][0]["id"] == "deployment"
