"""The course's code passes ruff with the project's rules, and the pre-commit hooks stay local and runnable.

ruff is the pinned one (requirements.txt), the program of the ``ruff`` package of this environment, run with
``--no-cache`` so that it writes nothing into the checkout; the rules and the exclusions are ``[tool.ruff]`` in
pyproject.toml, the same that the pre-commit hook applies. .pre-commit-config.yaml must hold only local hooks
(``repo: local``, ``language: system``) that run programs of the course's .venv, so that pre-commit downloads
nothing; a hook that runs ``python -m coursekit`` must name a subcommand and options that exist.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import os
import re
import shlex
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

from coursekit import cli
from coursekit.freshness import normalise, pins

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = ROOT / "pyproject.toml"
PRE_COMMIT_CONFIG = ROOT / ".pre-commit-config.yaml"
# the course's own staleness checks, each of which the hooks must run
COURSEKIT_CHECKS = {"banks", "path", "exercises --check", "exports --check", "freshness --check"}


def ruff(*args: str) -> subprocess.CompletedProcess:
    """The pinned ruff with the project's configuration, run from the repository root."""
    try:
        from ruff import find_ruff_bin
    except ImportError:
        pytest.fail("ruff is not installed: install the pinned environment (pip install -r requirements.txt)")
    return subprocess.run([find_ruff_bin(), *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def ruff_check(*args: str) -> subprocess.CompletedProcess:
    return ruff("check", "--no-cache", "--config", str(PYPROJECT), "--output-format", "concise", *args)


# --------------------------------------------------------------------------------------------------
# ruff
# --------------------------------------------------------------------------------------------------

def test_the_code_passes_ruff():
    result = ruff_check(".")
    if result.returncode != 0:
        pytest.fail(f"ruff check . (exit code {result.returncode}) found:\n{result.stdout}{result.stderr}\n"
                    "Fix them (`.venv/bin/ruff check --fix FILE` fixes the import order and unused imports), or, "
                    "where the rule is wrong for that line, add `# noqa: CODE - why`.", pytrace=False)


def test_ruff_finds_an_unused_import_and_an_unused_noqa(tmp_path):
    """The configuration selects rules at all: a file with an unused import, and a `noqa` that suppresses nothing."""
    sample = tmp_path / "sample.py"
    sample.write_text("import os\n\nVALUE = 1  # noqa: F841\n", encoding="utf-8")
    result = ruff_check(str(sample))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "F401" in result.stdout and "RUF100" in result.stdout, result.stdout


def test_ruff_leaves_out_the_notebooks_and_the_generated_exports():
    result = ruff_check("--show-files", ".")
    assert result.returncode == 0, result.stderr
    files = {Path(line).relative_to(ROOT).as_posix() for line in result.stdout.splitlines() if line.startswith("/")}
    assert "coursekit/cli.py" in files and "tests/unit/test_lint.py" in files
    assert "coursekit/exports/__init__.py" in files  # hand-written; only the generated chNN.py are left out
    assert not [f for f in files if f.endswith(".ipynb") or re.fullmatch(r"coursekit/exports/ch\d\d\.py", f)]
    # and so for files named on the command line, as pre-commit names them (force-exclude)
    export, notebook = (sorted(ROOT.glob(pattern))[0] for pattern in ("coursekit/exports/ch*.py", "chapters/*.ipynb"))
    named = ruff_check("--show-files", str(export), str(notebook))
    assert named.returncode == 0 and named.stdout.strip() == "", named.stdout + named.stderr


def test_ruff_and_pre_commit_are_pinned_alike():
    """requirements.txt pins them, the `dev` extra names the same versions, and that ruff is the one installed."""
    pinned = pins(ROOT)
    dev = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["optional-dependencies"]["dev"]
    extra = dict(requirement.split("==") for requirement in dev)
    assert {normalise(name): version for name, version in extra.items()} == {
        name: pinned.get(name) for name in ("pre-commit", "ruff")}, f"dev extra {dev} against requirements.txt"
    assert ruff("--version").stdout.split() == ["ruff", pinned["ruff"]]


# --------------------------------------------------------------------------------------------------
# pre-commit
# --------------------------------------------------------------------------------------------------

def _coursekit_problems(args: list[str]) -> list[str]:
    """What is wrong with ``python -m coursekit ARGS``: an unknown subcommand, or options its --help lacks."""
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
        try:
            cli.main([*args[:1], "--help"])
            code = 0
        except SystemExit as stop:
            code = stop.code
    text = printed.getvalue()
    if code != 0:
        return [f"coursekit {' '.join(args)}: {text.strip().splitlines()[-1] if text.strip() else code}"]
    return [f"coursekit {args[0]} has no option {option}" for option in args[1:]
            if option.startswith("-") and not re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", text)]


def hook_problems(config: dict, root: Path = ROOT) -> list[str]:
    """Every way in which *config* (a parsed .pre-commit-config.yaml) is not local-only, or names a missing command."""
    problems = []
    for repo in config.get("repos") or []:
        if repo.get("repo") != "local":
            problems.append(f"repo {repo.get('repo')!r}: not local, so pre-commit would download it")
            continue
        for hook in repo.get("hooks") or []:
            name = hook.get("id")
            if hook.get("language") != "system":
                problems.append(f"{name}: language {hook.get('language')!r}, not system: pre-commit would build an "
                                "environment for it")
            argv = shlex.split(hook.get("entry", ""))
            if not argv:
                problems.append(f"{name}: no entry")
                continue
            if not argv[0].startswith(".venv/bin/"):
                problems.append(f"{name}: {argv[0]} is not a program of the course's .venv (make venv)")
            elif not os.access(root / argv[0], os.X_OK):
                problems.append(f"{name}: {argv[0]} does not exist (make venv creates .venv)")
            if len(argv) >= 3 and argv[1] == "-m":
                if importlib.util.find_spec(argv[2]) is None:
                    problems.append(f"{name}: no module {argv[2]}")
                elif argv[2] == "coursekit":
                    problems += [f"{name}: {problem}" for problem in _coursekit_problems(argv[3:])]
    return problems


def test_pre_commit_hooks_are_local_and_run_commands_that_exist():
    config = yaml.safe_load(PRE_COMMIT_CONFIG.read_text(encoding="utf-8"))
    assert hook_problems(config) == []
    hooks = [hook for repo in config["repos"] for hook in repo["hooks"]]
    entries = {" ".join(shlex.split(hook["entry"])[3:]) for hook in hooks if " -m coursekit " in hook["entry"]}
    assert COURSEKIT_CHECKS <= entries, f"no hook runs coursekit {', '.join(sorted(COURSEKIT_CHECKS - entries))}"
    assert any(shlex.split(hook["entry"])[:2] == [".venv/bin/ruff", "check"] for hook in hooks)


def test_hook_problems_finds_each_kind_of_fault():
    config = {"repos": [
        {"repo": "https://example.org/hooks.git", "rev": "v1", "hooks": [{"id": "remote"}]},
        {"repo": "local", "hooks": [
            {"id": "built", "entry": ".venv/bin/ruff check", "language": "python"},
            {"id": "outside", "entry": "ruff check", "language": "system"},
            {"id": "missing", "entry": ".venv/bin/no-such-tool", "language": "system"},
            {"id": "module", "entry": ".venv/bin/python -m no_such_module", "language": "system"},
            {"id": "command", "entry": ".venv/bin/python -m coursekit no-such-command", "language": "system"},
            {"id": "option", "entry": ".venv/bin/python -m coursekit banks --check", "language": "system"},
        ]},
    ]}
    problems = hook_problems(config)
    assert len(problems) == 7, "\n".join(problems)
    for words in ("'https://example.org/hooks.git': not local", "built: language 'python'", "outside: ruff is not",
                  "missing: .venv/bin/no-such-tool does not exist", "module: no module no_such_module",
                  "command: coursekit no-such-command: ", "option: coursekit banks has no option --check"):
        assert any(words in problem for problem in problems), f"{words!r} not in {problems}"
