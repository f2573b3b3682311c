"""Binder: what repo2docker would build, and the course working from a non-editable install, as Binder makes it.

repo2docker (what mybinder.org runs) reads ``binder/`` first. Its plan (``repo2docker --no-build --debug``,
printed without Docker) must install ``binder/requirements.txt`` on Python 3.11, run ``binder/postBuild``
and ``binder/start``, and must NOT run ``pip install .`` (which replaced the editable install and left
coursekit looking for the course inside site-packages). Whatever the install, coursekit must find the
course from the folder the notebook runs in.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from coursekit.notebooks import io
from coursekit.notebooks.environment import TELEMETRY_OFF
from coursekit.notebooks.kernel import notebook_client

BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def plan(root) -> str:
    out = subprocess.run([str(BIN / "repo2docker"), "--no-build", "--debug", str(root)], capture_output=True,
                         text=True, timeout=120, cwd=root)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout + out.stderr


def test_binder_plan_installs_the_pins_and_not_the_package(plan):
    assert "Building conda environment for python=3.11" in plan, "binder/runtime.txt should choose Python 3.11"
    assert 'pip install --no-cache-dir -r "binder/requirements.txt"' in plan
    assert "pip install --no-cache-dir .\n" not in plan, "repo2docker would replace the editable install"
    assert "RUN ./binder/postBuild" in plan and 'R2D_ENTRYPOINT="${REPO_DIR}/binder/start"' in plan


def test_binder_start_switches_off_every_telemetry(root):
    start = (root / "binder" / "start").read_text(encoding="utf-8")
    for name, value in TELEMETRY_OFF.items():
        assert f"{name}={value}" in start, f"binder/start: export {name}={value} (as environment.TELEMETRY_OFF)"


def test_binder_keeps_nbgrader_out_of_the_learners_interface(root):
    post = (root / "binder" / "postBuild").read_text(encoding="utf-8")
    assert "labextension disable --level=sys_prefix @jupyter/nbgrader" in post
    for ext in ("formgrader", "validate_assignment", "assignment_list", "course_list"):
        assert ext in post, f"binder/postBuild: disable nbgrader.server_extensions.{ext}"


@pytest.fixture(scope="module")
def installed(root, tmp_path_factory) -> Path:
    """coursekit installed NOT editable into a folder of its own (from a copy: pip builds in the source tree)."""
    work = tmp_path_factory.mktemp("non-editable")
    source = work / "source"
    source.mkdir()
    shutil.copy(root / "pyproject.toml", source)
    shutil.copytree(root / "coursekit", source / "coursekit", ignore=shutil.ignore_patterns("__pycache__"))
    site = work / "site"
    out = subprocess.run([str(BIN / "pip"), "install", "--quiet", "--no-cache-dir", "--no-deps", "--no-build-isolation", "--no-index",
                          "--target", str(site), str(source)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout[-1000:] + out.stderr[-2000:]
    assert (site / "coursekit" / "quizzes" / "assets" / "quiz.js").exists(), "package data missing from the install"
    return site


def run_python(code: str, site: Path, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(site)}
    env.pop("COURSEKIT_ROOT", None)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=cwd, env=env)


def test_a_quiz_cell_works_from_the_checkout_with_a_non_editable_install(installed, root):
    out = run_python("import coursekit, coursekit.layout as p; from coursekit import quiz; q = quiz('01', 'data'); "
                     "print(coursekit.__file__); print(p.course_root()); print(q.quiz_id, len(q.questions))",
                     installed, root / "chapters")
    assert out.returncode == 0, out.stderr[-2000:]
    where, course, shown = out.stdout.split("\n")[:3]
    assert where.startswith(str(installed)), f"imported coursekit from {where}, not the non-editable install"
    assert course == str(root) and shown.startswith("01_ml_essentials/data ")


def test_outside_a_checkout_the_error_says_what_to_do(installed, tmp_path):
    out = run_python("from coursekit import quiz; quiz('01')", installed, tmp_path)
    assert out.returncode != 0
    assert "CourseNotFound" in out.stderr and "set COURSEKIT_ROOT" in out.stderr and "_toc.yml" in out.stderr


def test_chapter_00_runs_from_the_checkout_with_a_non_editable_install(installed, root, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(installed))  # the kernel imports coursekit from the install
    monkeypatch.delenv("COURSEKIT_ROOT", raising=False)
    nb = io.read(root / "chapters" / "00_start_here.ipynb")
    nb.cells.append(nbformat.v4.new_code_cell("import coursekit; print(coursekit.__file__)"))
    notebook_client(nb, root / "chapters").execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors, errors[0]
    assert "".join(nb.cells[-1].outputs[0]["text"]).startswith(str(installed))
    shown = [o["data"]["text/plain"] for c in nb.cells if c.cell_type == "code" for o in c.outputs
             if "Quiz " in o.get("data", {}).get("text/plain", "")]
    assert shown == ["Quiz 00_start_here/placement"]
