"""Links that open one exercise: on a JupyterHub (nbgitpuller), on Binder, on Colab.

``python -m coursekit link --exercise 01 --hub https://hub.example.org`` prints them; the functions
here only build strings (the two ``*_from_config`` helpers and :func:`exercise_stems` read files).
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

import yaml

from coursekit.layout import course_root

EXERCISES_DIR = "exercises"
BINDER_URL = "https://mybinder.org"
COLAB_URL = "https://colab.research.google.com"
_GITHUB = re.compile(r"^https://github\.com/(?P<owner>[^/\s]+)/(?P<name>[^/\s]+?)(?:\.git)?/?$")


class LinkError(ValueError):
    """A link cannot be built: unknown exercise, or a URL of the wrong shape."""


def exercise_stems(root: Path | None = None) -> list[str]:
    """The stems of the exercises present, in order: ``["01_ml_essentials", ...]``."""
    folder = (root or course_root()) / EXERCISES_DIR
    return sorted(p.stem for p in folder.glob("[0-9][0-9]_*.ipynb"))


def resolve_exercise(name: str, stems: list[str]) -> str:
    """The stem of the exercise *name* designates: a number (``1``, ``01``), a stem or a path to it.

    Raises :class:`LinkError` listing the exercises available when nothing (or more than one) matches.
    """
    wanted = Path(name.strip()).name.removesuffix(".ipynb")
    if wanted.isdigit():
        matches = [s for s in stems if s.startswith(f"{int(wanted):02d}_")]
    else:
        matches = [s for s in stems if s == wanted]
    if len(matches) == 1:
        return matches[0]
    available = ", ".join(stems) if stems else f"none (no {EXERCISES_DIR}/NN_*.ipynb found)"
    raise LinkError(f"unknown exercise {name!r}; the exercises are: {available}")


def notebook_path(stem: str) -> str:
    """The exercise's path inside the repository, e.g. ``exercises/01_ml_essentials.ipynb``."""
    return f"{EXERCISES_DIR}/{stem}.ipynb"


def github_owner_and_name(repo_url: str) -> tuple[str, str]:
    """``("owner", "name")`` of ``https://github.com/owner/name`` (a ``.git`` suffix or final ``/`` is fine)."""
    match = _GITHUB.match(repo_url.strip())
    if not match:
        raise LinkError(f"expected a GitHub repository URL like https://github.com/OWNER/NAME, got {repo_url!r}")
    return match["owner"], match["name"]


def repository_name(repo_url: str) -> str:
    """The folder ``git clone`` (and so nbgitpuller) creates for *repo_url*: its last path segment."""
    path = urlsplit(repo_url.strip()).path.rstrip("/")
    name = path.rsplit("/", 1)[-1].removesuffix(".git")
    if not name:
        raise LinkError(f"cannot tell the repository's name from {repo_url!r}")
    return name


def nbgitpuller_link(hub: str, repo_url: str, branch: str, stem: str) -> str:
    """The nbgitpuller link that clones (or updates) the course on *hub* and opens the exercise in JupyterLab.

    nbgitpuller clones into a folder named after the repository, next to the user's other files, so the
    notebook opened is ``<name>/exercises/<stem>.ipynb``. Every query value is URL-encoded (``/`` too),
    as nbgitpuller's own link generator does.
    """
    hub = hub.strip().rstrip("/")
    if urlsplit(hub).scheme not in ("http", "https") or not urlsplit(hub).netloc:
        raise LinkError(f"the hub must be a URL like https://hub.example.org, got {hub!r}")
    repo_url = repo_url.strip().rstrip("/")
    urlpath = f"lab/tree/{repository_name(repo_url)}/{notebook_path(stem)}"
    query = urlencode({"repo": repo_url, "branch": branch, "urlpath": urlpath}, quote_via=quote, safe="")
    return f"{hub}/hub/user-redirect/git-pull?{query}"


def binder_link(repo_url: str, branch: str, stem: str) -> str:
    """The mybinder.org link that builds the repository's environment and opens the exercise in JupyterLab."""
    owner, name = github_owner_and_name(repo_url)
    return f"{BINDER_URL}/v2/gh/{owner}/{name}/{quote(branch, safe='')}?urlpath=lab/tree/{notebook_path(stem)}"


def colab_link(repo_url: str, branch: str, stem: str) -> str:
    """The Colab link that opens the exercise straight from GitHub (its setup cell installs the course)."""
    owner, name = github_owner_and_name(repo_url)
    return f"{COLAB_URL}/github/{owner}/{name}/blob/{quote(branch, safe='/')}/{notebook_path(stem)}"


def _config(root: Path | None) -> dict:
    path = (root or course_root()) / "_config.yml"
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def repository_from_config(root: Path | None = None) -> tuple[str, str]:
    """``(url, branch)`` from ``_config.yml``'s ``repository`` section (branch defaults to ``main``)."""
    repo = _config(root).get("repository") or {}
    if not repo.get("url"):
        raise LinkError("_config.yml has no repository.url; pass --repo")
    return str(repo["url"]), str(repo.get("branch") or "main")


def jupyterhub_from_config(root: Path | None = None) -> str:
    """``launch_buttons.jupyterhub_url`` from ``_config.yml``, or ``""`` when it is not set."""
    return str((_config(root).get("launch_buttons") or {}).get("jupyterhub_url") or "")
