"""A solution notebook goes through the real nbgrader unchanged: generate_assignment, then autograde.

For each solution below, in a temporary course directory (nothing is written into the repository):

1. ``source/<assignment>/<stem>.ipynb`` is a byte-for-byte copy of ``solutions/<stem>.ipynb``, next to
   the ``nbgrader_config.py`` that instructors.md tells instructors to use;
2. ``nbgrader generate_assignment`` writes the student version into ``release/`` (no solution code, no
   solution-only notes) and the gradebook;
3. students submit: the solution itself, the untouched release, and the release with only the first
   task's answer cell filled in from the solution; a fourth submits the course's own
   ``exercises/<stem>.ipynb`` (what the instructors' links open) with the same task done;
4. ``nbgrader autograde`` grades them, and the gradebook says: full marks, zero, something in between,
   and the same score for the exercise as for the release.

The kernel nbgrader starts is a ``python3`` kernelspec in a temporary ``JUPYTER_PATH`` that runs this
virtualenv's interpreter (and records that it did), so a ``python3`` kernelspec elsewhere on the machine
cannot change the result. Each autograde executes a notebook four times; two solutions keep the file
under a minute on an idle machine.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from coursekit.layout import course_root
from coursekit.notebooks.environment import DETERMINISTIC_ENV
from coursekit.notebooks.exercises import exercise_path, solution_paths

# Two kinds (about 15 s each on an idle 2-core machine): 01, autograded only; 14, autograded tasks plus a
# design answer an instructor grades by hand. COURSEKIT_ROUNDTRIP_ALL=1 runs every solution.
ROUNDTRIP = (tuple(p.stem for p in solution_paths()) if os.environ.get("COURSEKIT_ROUNDTRIP_ALL")
             else ("01_ml_essentials", "14_capstone"))
# full: the solution itself; zero: the untouched release; partial: the release with the first task done;
# exercise: exercises/<stem>.ipynb (what the Binder/Colab/nbgitpuller links open) with the first task done.
STUDENTS = {"full": "ada", "zero": "bob", "partial": "cy", "exercise": "dee"}

# The course directory's nbgrader_config.py, exactly as instructors.md shows it: nbgrader knows nothing of the
# course's `solution-only` tag, so without the TagRemovePreprocessor the release would keep the solution's notes.
NBGRADER_CONFIG = """\
c = get_config()
from nbconvert.preprocessors import TagRemovePreprocessor
from nbgrader.converters import Autograde, GenerateAssignment

# Drop the cells only the solution page shows ("Notes on the solution"): from the student version,
# and from a submission before it is graded (nbgrader rejects locked cells it has not recorded).
c.TagRemovePreprocessor.enabled = True
c.TagRemovePreprocessor.remove_cell_tags = ["solution-only"]
c.GenerateAssignment.preprocessors = [
    TagRemovePreprocessor, *GenerateAssignment.class_traits()["preprocessors"].default()]
c.Autograde.sanitize_preprocessors = [
    TagRemovePreprocessor, *Autograde.class_traits()["sanitize_preprocessors"].default()]
# Give a slow cell time on a busy grading machine (nbgrader's default is 30 s).
c.Execute.timeout = 120
"""
NBGRADER_TIMEOUT = 300  # seconds per nbgrader command (the notebooks take a few seconds each)

# The kernel records which interpreter runs it, then starts ipykernel exactly as ipykernel_launcher does.
LAUNCHER = (
    "import os, sys; "
    "open(os.environ['COURSEKIT_KERNEL_LOG'], 'a', encoding='utf-8').write(sys.executable + '\\n'); "
    "from ipykernel import kernelapp; kernelapp.launch_new_instance()"
)


def _solution(stem: str) -> Path:
    by_stem = {p.stem: p for p in solution_paths()}
    assert stem in by_stem, f"solutions/{stem}.ipynb is missing (have: {sorted(by_stem)})"
    return by_stem[stem]


def _environment(tmp: Path) -> dict[str, str]:
    """Environment for nbgrader and its kernels: every Jupyter and course folder in *tmp*."""
    kernel_dir = tmp / "jupyter" / "kernels" / "python3"
    kernel_dir.mkdir(parents=True)
    (kernel_dir / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-c", LAUNCHER, "-f", "{connection_file}"],
        "display_name": "Python 3 (course venv)",
        "language": "python",
    }), encoding="utf-8")
    env = {**os.environ, **DETERMINISTIC_ENV}
    env.update(
        JUPYTER_PATH=str(tmp / "jupyter"),  # searched before the user's and the system's kernelspecs
        JUPYTER_DATA_DIR=str(tmp / "jupyter-data"),
        JUPYTER_CONFIG_DIR=str(tmp / "jupyter-config"),
        JUPYTER_RUNTIME_DIR=str(tmp / "jupyter-runtime"),
        IPYTHONDIR=str(tmp / "ipython"),
        COURSEKIT_SCRATCH=str(tmp / "scratch"),  # what the notebooks write goes here, not to scratch/
        COURSEKIT_KERNEL_LOG=str(tmp / "kernels.log"),
        # nbgrader runs the `alembic` command to create a gradebook: this venv's, even when not activated.
        PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
    )
    return env


def _nbgrader(course: Path, env: dict[str, str], *args: str) -> None:
    cmd = [sys.executable, "-m", "nbgrader", *args, f"--CourseDirectory.root={course}",
           f"--CourseDirectory.db_url=sqlite:///{course / 'gradebook.db'}", "--force"]
    done = subprocess.run(cmd, cwd=course, env=env, capture_output=True, text=True, timeout=NBGRADER_TIMEOUT)
    log = f"{done.stdout}\n{done.stderr}"
    assert done.returncode == 0, f"{' '.join(args)} failed ({done.returncode}):\n{log}"
    assert "Exception while loading config file" not in log, log  # nbgrader only logs a broken config


def _half_done(student_version: Path, solution: Path) -> nbformat.NotebookNode:
    """*student_version* with its first answer cell replaced by the solution's cell of the same grade_id."""
    nb, sol = nbformat.read(student_version, as_version=4), nbformat.read(solution, as_version=4)
    answer = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution"))
    grade_id = answer.metadata["nbgrader"]["grade_id"]
    source = next(c for c in sol.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id).source
    assert answer.source != source, f"{grade_id}: the release already holds the solution"
    answer.source = source
    return nb


# The solutions are independent: the root conftest.py's scheduler (SPREAD_FILES) sends each to any worker.
@pytest.mark.parametrize("stem", ROUNDTRIP)
def test_solution_autogrades_full_zero_and_partial(stem, tmp_path):
    solution = _solution(stem)
    course, assignment, notebook = tmp_path / "course", f"ex{stem[:2]}", f"{stem}.ipynb"
    env = _environment(tmp_path)

    source = course / "source" / assignment / notebook
    source.parent.mkdir(parents=True)
    shutil.copyfile(solution, source)
    assert source.read_bytes() == solution.read_bytes()
    (course / "nbgrader_config.py").write_text(NBGRADER_CONFIG, encoding="utf-8")
    _nbgrader(course, env, "generate_assignment", assignment, "--create")
    release = course / "release" / assignment / notebook
    assert release.exists(), "generate_assignment wrote no student version"
    released = nbformat.read(release, as_version=4)
    assert not [c.id for c in released.cells if "solution-only" in c.metadata.get("tags", [])]
    assert not [c.id for c in released.cells if "BEGIN SOLUTION" in c.source]

    submissions = {"full": solution, "zero": release, "partial": _half_done(release, solution),
                   "exercise": _half_done(exercise_path(solution), solution)}
    for kind, student in STUDENTS.items():
        target = course / "submitted" / student / assignment / notebook
        target.parent.mkdir(parents=True)
        if isinstance(submissions[kind], Path):
            shutil.copyfile(submissions[kind], target)
        else:
            nbformat.write(submissions[kind], target)
    _nbgrader(course, env, "autograde", assignment, "--create", "--ExecutePreprocessor.kernel_name=python3")

    graded = [c for c in nbformat.read(solution, as_version=4).cells if c.metadata.get("nbgrader", {}).get("grade")]
    points = sum(c.metadata["nbgrader"].get("points", 0) for c in graded)
    # A graded markdown answer (an open design question) waits for an instructor: autograde gives it 0 points
    # and flags it for manual grading; every other graded cell is a test that autograde scores.
    manual = sum(c.metadata["nbgrader"].get("points", 0) for c in graded if c.cell_type == "markdown")
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        submissions = {kind: gb.find_submission(assignment, student) for kind, student in STUDENTS.items()}
        scores = {kind: (s.score, s.max_score) for kind, s in submissions.items()}
        needs_manual = {kind: s.needs_manual_grade for kind, s in submissions.items()}
    assert all(max_score == points for _, max_score in scores.values()), scores
    assert scores["full"][0] == points - manual, f"the solution itself lost points: {scores} ({manual} graded by hand)"
    assert scores["zero"][0] == 0, f"the untouched release scored: {scores}"
    assert 0 < scores["partial"][0] < points - manual, f"one task done should score in between: {scores}"
    if manual:
        assert needs_manual["full"], "the solution's design answer was not flagged for manual grading"
    assert scores["exercise"] == scores["partial"], f"exercises/{notebook} grades unlike the release: {scores}"

    # Every submission ran in a kernel started by this virtualenv's python, through the temp kernelspec.
    launches = (tmp_path / "kernels.log").read_text(encoding="utf-8").splitlines()
    assert launches == [sys.executable] * len(STUDENTS), launches
    # Nothing landed in the repository: no course folders, no gradebook, and scratch went to the temp dir.
    root = course_root()
    assert not [n for n in ("gradebook.db", ".nbgrader.log", "source", "release", "submitted", "autograded")
                if (root / n).exists()]
    if "scratch_dir(" in solution.read_text(encoding="utf-8"):
        assert any((tmp_path / "scratch").iterdir()), "the notebook's scratch files did not go to the temp dir"


def test_instructor_guide_shows_this_config():
    guide = (course_root() / "instructors.md").read_text(encoding="utf-8")
    assert NBGRADER_CONFIG in guide, "instructors.md must show the nbgrader_config.py this test grades with"
