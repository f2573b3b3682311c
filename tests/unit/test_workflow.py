"""Every workflow in .github/workflows is valid against the GitHub workflow schema, checked offline.

The schema is the copy vendored in check-jsonschema (``--builtin-schema vendor.github-workflows`` reads
``check_jsonschema/builtin_schemas/vendor/github-workflows.json`` with importlib.resources; that schema has
only local ``#/...`` references, so nothing is downloaded). The check runs with sockets disabled to prove it.
check-jsonschema's command line runs in the test process (its imports, about 2 s, are the test process's own:
nbformat needs the same jsonschema), once for all the workflows.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
import yaml

WORKFLOWS = sorted((Path(__file__).resolve().parents[2] / ".github" / "workflows").glob("*.yml"))
WORKFLOW = WORKFLOWS[0]


def refuse(*args, **kwargs):
    raise OSError("network access attempted during an offline schema check")


def check(*paths: Path, schema: tuple[str, ...] = ("--builtin-schema", "vendor.github-workflows")):
    """check-jsonschema's command line on *paths*, with every way to open a connection replaced by an error.
    Returns (exit code, what it printed)."""
    from check_jsonschema import main
    from click.testing import CliRunner

    with pytest.MonkeyPatch.context() as mp:
        for owner, name in [(socket.socket, "connect"), (socket.socket, "connect_ex"),
                            (socket, "create_connection"), (socket, "getaddrinfo")]:
            mp.setattr(owner, name, refuse)
        result = CliRunner().invoke(main, [*schema, "--no-cache", *map(str, paths)])
    return result.exit_code, result.output


def test_every_workflow_is_valid_offline():
    assert len(WORKFLOWS) >= 2, WORKFLOWS
    code, out = check(*WORKFLOWS)
    assert code == 0, out
    assert "ok -- validation done" in out


def test_offline_guard_really_blocks_the_network():
    """Without this, the test above would pass vacuously if the guard did nothing."""
    code, out = check(WORKFLOW, schema=("--schemafile", "https://json.schemastore.org/github-workflow.json"))
    assert code != 0
    assert "network access attempted" in out


def test_a_job_without_runs_on_is_rejected(tmp_path):
    broken = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    del next(iter(broken["jobs"].values()))["runs-on"]
    path = tmp_path / "broken.yml"
    path.write_text(yaml.safe_dump(broken, sort_keys=False), encoding="utf-8")
    code, out = check(path)
    assert code == 1, out
    assert "'runs-on' is a required property" in out
