"""`coursekit link`: nbgitpuller, Binder and Colab links to one exercise, and the table in instructors.md."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from coursekit import links
from coursekit.cli import main

REPO = "https://github.com/mlops-for-devops/mlops-course"
STEMS = ["01_ml_essentials", "02_model_artifacts", "12_platforms_llm_serving"]
ROOT = Path(__file__).resolve().parents[2]


def test_nbgitpuller_link_is_exact():
    assert links.nbgitpuller_link("https://hub.example.org/", REPO, "main", "01_ml_essentials") == (
        "https://hub.example.org/hub/user-redirect/git-pull"
        "?repo=https%3A%2F%2Fgithub.com%2Fmlops-for-devops%2Fmlops-course"
        "&branch=main"
        "&urlpath=lab%2Ftree%2Fmlops-course%2Fexercises%2F01_ml_essentials.ipynb"
    )


def test_nbgitpuller_query_decodes_to_the_notebook_inside_the_clone():
    url = links.nbgitpuller_link("https://example.org/jupyter", REPO + ".git", "fix/typo #2", "02_model_artifacts")
    parts = urlsplit(url)
    assert parts.path == "/jupyter/hub/user-redirect/git-pull"  # a hub under a path prefix keeps it
    assert "/" not in parts.query and " " not in parts.query and "#" not in url  # every value fully encoded
    assert parse_qs(parts.query) == {
        "repo": [REPO + ".git"],
        "branch": ["fix/typo #2"],
        # nbgitpuller clones into a folder named after the repository (without .git)
        "urlpath": ["lab/tree/mlops-course/exercises/02_model_artifacts.ipynb"],
    }


def test_binder_and_colab_links_are_exact():
    assert links.binder_link(REPO, "main", "01_ml_essentials") == (
        "https://mybinder.org/v2/gh/mlops-for-devops/mlops-course/main"
        "?urlpath=lab/tree/exercises/01_ml_essentials.ipynb"
    )
    assert links.colab_link(REPO + "/", "main", "01_ml_essentials") == (
        "https://colab.research.google.com/github/mlops-for-devops/mlops-course/blob/main/"
        "exercises/01_ml_essentials.ipynb"
    )


@pytest.mark.parametrize("name", ["01", "1", "01_ml_essentials", "01_ml_essentials.ipynb",
                                  "exercises/01_ml_essentials.ipynb"])
def test_exercise_by_number_stem_or_path(name):
    assert links.resolve_exercise(name, STEMS) == "01_ml_essentials"


@pytest.mark.parametrize("name", ["99", "ml_essentials", "03_training_vs_inference", ""])
def test_unknown_exercise_lists_the_available_ones(name):
    with pytest.raises(links.LinkError) as err:
        links.resolve_exercise(name, STEMS)
    assert str(err.value) == (f"unknown exercise {name!r}; the exercises are: "
                              "01_ml_essentials, 02_model_artifacts, 12_platforms_llm_serving")


def test_bad_urls_are_explained():
    with pytest.raises(links.LinkError, match="GitHub repository URL"):
        links.binder_link("https://gitlab.com/a/b", "main", "01_ml_essentials")
    with pytest.raises(links.LinkError, match="hub must be a URL"):
        links.nbgitpuller_link("hub.example.org", REPO, "main", "01_ml_essentials")


@pytest.fixture
def course(tmp_path, monkeypatch):
    """A course root with three exercises and a _config.yml naming another repository."""
    (tmp_path / "exercises").mkdir()
    for stem in STEMS:
        (tmp_path / "exercises" / f"{stem}.ipynb").write_text("{}", encoding="utf-8")
    (tmp_path / "_config.yml").write_text(
        "repository:\n  url: https://github.com/acme/ml-course\n  branch: spring\n"
        "launch_buttons:\n  jupyterhub_url: ''\n", encoding="utf-8")
    monkeypatch.setenv("COURSEKIT_ROOT", str(tmp_path))
    return tmp_path


def test_cli_prints_the_hub_link_with_config_defaults(course, capsys):
    assert main(["link", "--hub", "https://hub.example.org", "--exercise", "02"]) == 0
    assert capsys.readouterr().out == (
        "https://hub.example.org/hub/user-redirect/git-pull?repo=https%3A%2F%2Fgithub.com%2Facme%2Fml-course"
        "&branch=spring&urlpath=lab%2Ftree%2Fml-course%2Fexercises%2F02_model_artifacts.ipynb\n")


def test_cli_binder_and_colab_with_explicit_repo(course, capsys):
    assert main(["link", "--exercise", "12_platforms_llm_serving", "--binder", "--colab",
                 "--repo", REPO, "--branch", "main"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "https://mybinder.org/v2/gh/mlops-for-devops/mlops-course/main?urlpath=lab/tree/exercises/12_platforms_llm_serving.ipynb",
        "https://colab.research.google.com/github/mlops-for-devops/mlops-course/blob/main/exercises/12_platforms_llm_serving.ipynb",
    ]


def test_cli_hub_defaults_to_config(course, capsys):
    config = course / "_config.yml"
    config.write_text(config.read_text().replace("jupyterhub_url: ''", "jupyterhub_url: https://hub.acme.edu/"))
    assert main(["link", "--exercise", "1"]) == 0
    assert capsys.readouterr().out.startswith("https://hub.acme.edu/hub/user-redirect/git-pull?repo=")


def test_cli_unknown_exercise(course, capsys):
    assert main(["link", "--hub", "https://hub.example.org", "--exercise", "42"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == ("coursekit link: unknown exercise '42'; the exercises are: "
                            "01_ml_essentials, 02_model_artifacts, 12_platforms_llm_serving\n")


def test_cli_needs_a_destination(course, capsys):
    assert main(["link", "--exercise", "01"]) == 2
    assert "--hub URL" in capsys.readouterr().err


def test_python_m_coursekit_link_in_this_repository():
    done = subprocess.run([sys.executable, "-m", "coursekit", "link", "--exercise", "01", "--binder"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    url, branch = links.repository_from_config(ROOT)
    assert done.stdout == links.binder_link(url, branch, "01_ml_essentials") + "\n"


def test_instructor_guide_links_match_the_generator():
    """Every Binder/Colab link in instructors.md's table is what `coursekit link` prints, for an exercise that exists."""
    guide = (ROOT / "instructors.md").read_text(encoding="utf-8")
    url, branch = links.repository_from_config(ROOT)
    present = set(links.exercise_stems(ROOT))
    rows = [line for line in guide.splitlines() if re.match(r"^\|\s*\d\d\s*\|", line)]
    assert rows, "instructors.md has no table of exercise links"
    for row in rows:
        number = row.split("|")[1].strip()
        stems = set(re.findall(r"exercises/(\d\d_\w+)\.ipynb", row))
        assert len(stems) == 1, f"one exercise per row: {row}"
        stem = stems.pop()
        assert stem.startswith(number) and stem in present, f"instructors.md lists {stem}, which is not in exercises/"
        assert f"({links.binder_link(url, branch, stem)})" in row, f"{stem}: Binder link differs from `coursekit link`"
        assert f"({links.colab_link(url, branch, stem)})" in row, f"{stem}: Colab link differs from `coursekit link`"


def test_instructor_guide_bank_example_is_valid(tmp_path):
    """The sample bank in instructors.md passes the validator the guide tells instructors to run."""
    from coursekit.quizzes.bank import load_bank

    guide = (ROOT / "instructors.md").read_text(encoding="utf-8")
    example = next(block for block in re.findall(r"```yaml\n(.*?)```", guide, flags=re.S) if "questions:" in block)
    bank = load_bank(_write(tmp_path / "01_ml_essentials.yml", example))
    assert [q.type for q in bank.questions] == ["single", "numeric"]


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path
