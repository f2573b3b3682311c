"""``coursekit`` / ``python -m coursekit``: the course's maintenance commands."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _refresh(args: argparse.Namespace) -> int:
    from coursekit.notebooks import exercises, exports
    from coursekit.notebooks.refresh import RefreshError, executed_notebooks, refresh

    paths = [Path(p).resolve() for p in args.paths] or executed_notebooks()
    status = 0
    try:  # first, so that the solutions run against the chapter code they reuse
        for path in exports.generate():
            print(f"regenerated: coursekit/exports/{path.name}")
    except exports.ExportError as exc:
        print(exc, file=sys.stderr)
        return 1
    for path in paths:
        try:
            print(f"{'updated' if refresh(path) else 'unchanged'}: {path.name}", flush=True)
        except RefreshError as exc:
            print(exc, file=sys.stderr)
            status = 1
    for path in exercises.generate():
        print(f"regenerated: exercises/{path.name}")
    return status


def _generated(module, folder: str, command: str, check: bool) -> int:
    """Regenerate files that *module* derives from notebooks, or (*check*) only list those out of date."""
    if check:
        stale = module.stale()
        for path in stale:
            print(f"out of date: {folder}/{path.name} (run: python -m coursekit {command})", file=sys.stderr)
        return 1 if stale else 0
    for path in module.generate():
        print(f"regenerated: {folder}/{path.name}")
    return 0


def _exercises(args: argparse.Namespace) -> int:
    from coursekit.notebooks import exercises

    return _generated(exercises, "exercises", "exercises", args.check)


def _exports(args: argparse.Namespace) -> int:
    from coursekit.notebooks import exports

    try:
        return _generated(exports, "coursekit/exports", "exports", args.check)
    except exports.ExportError as exc:
        print(exc, file=sys.stderr)
        return 1


def _banks(args: argparse.Namespace) -> int:
    from coursekit.quizzes.bank import BankError, load_all
    from coursekit.quizzes.cues import lint, strategy_scores

    try:
        banks = load_all()
    except BankError as exc:
        print(exc, file=sys.stderr)
        return 1
    status = 0
    for bank in banks:
        found = lint(bank)
        for cue in found:
            print(cue, file=sys.stderr)
        status = status or bool(found)
        line = f"{'cues' if found else 'ok'}: {bank.path.name}: {len(bank.questions)} questions, {len(bank.objectives)} objectives"
        if args.report and (scores := strategy_scores(bank)):
            line += ("; single-choice right by " +
                     ", ".join(f"{name} {share:.0%}" for name, share in scores.items()))
        print(line)
    return int(status)


def _path(args: argparse.Namespace) -> int:
    from coursekit.quizzes.bank import BankError
    from coursekit.syllabus import PathError, load_path
    from coursekit.syllabus.pathmap import PathMap

    try:
        course = load_path()
    except (PathError, BankError) as exc:
        print(exc, file=sys.stderr)
        return 1
    print(repr(PathMap(course)))
    return 0


def _book(args: argparse.Namespace) -> int:
    from coursekit.book import build

    return build(Path(args.output).resolve() if args.output else None, solutions=not args.without_solutions)


def _freshness(args: argparse.Namespace) -> int:
    from coursekit import freshness

    return freshness.main(check=args.check)


def _claims(args: argparse.Namespace) -> int:
    from coursekit.claims import ClaimError, report

    try:
        print(report(args.older_than))
    except ClaimError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


def _link(args: argparse.Namespace) -> int:
    from coursekit import links

    try:
        stem = links.resolve_exercise(args.exercise, links.exercise_stems())
        defaults = (args.repo, args.branch) if args.repo and args.branch else links.repository_from_config()
        repo, branch = args.repo or defaults[0], args.branch or defaults[1]
        hub = args.hub or ("" if args.binder or args.colab else links.jupyterhub_from_config())
        if not (hub or args.binder or args.colab):
            raise links.LinkError("say where: --hub URL (your JupyterHub, for an nbgitpuller link), --binder or --colab")
        out = [links.nbgitpuller_link(hub, repo, branch, stem)] if hub else []
        out += [links.binder_link(repo, branch, stem)] if args.binder else []
        out += [links.colab_link(repo, branch, stem)] if args.colab else []
    except links.LinkError as exc:
        print(f"coursekit link: {exc}", file=sys.stderr)
        return 2
    print("\n".join(out))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="coursekit", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("refresh", help="regenerate exports, re-execute chapters and solutions in place, then regenerate "
                                       "exercises")
    p.add_argument("paths", nargs="*", help="notebooks (default: all chapters and solutions)")
    p.set_defaults(func=_refresh)
    p = sub.add_parser("exercises", help="regenerate exercises/ from solutions/")
    p.add_argument("--check", action="store_true", help="only report exercises that are out of date")
    p.set_defaults(func=_exercises)
    p = sub.add_parser("exports", help="write coursekit/exports/chNN.py from the chapter cells tagged `export`")
    p.add_argument("--check", action="store_true", help="only report modules that are out of date")
    p.set_defaults(func=_exports)
    p = sub.add_parser("banks", help="validate every quiz bank and lint it for answer cues (length, position, wording)")
    p.add_argument("--report", action="store_true", help="also print what each test-wise strategy scores per bank")
    p.set_defaults(func=_banks)
    p = sub.add_parser("path", help="validate path.yml (chapters, prerequisites, minutes) against the toc and the banks")
    p.set_defaults(func=_path)
    p = sub.add_parser("book", help="build the HTML book (warnings are errors)")
    p.add_argument("--without-solutions", action="store_true", help="leave the solutions out (for instructors)")
    p.add_argument("--output", help="folder to build into (default: the repository's _build/)")
    p.set_defaults(func=_book)
    p = sub.add_parser("freshness", help="write each chapter's 'verified on ... with ...' line (path.yml + the pins)")
    p.add_argument("--check", action="store_true", help="only report chapters whose line is out of step")
    p.set_defaults(func=_freshness)
    p = sub.add_parser("claims", help="list the time-sensitive claims (claims.yml) due for a re-check")
    p.add_argument("--older-than", type=int, default=180, metavar="DAYS", help="checked more than DAYS ago (180)")
    p.set_defaults(func=_claims)
    p = sub.add_parser("link", help="print the link that opens one exercise on a JupyterHub (nbgitpuller), Binder or Colab")
    p.add_argument("--exercise", required=True, help="exercise number or stem, e.g. 01 or 01_ml_essentials")
    p.add_argument("--hub", help="JupyterHub URL (default: _config.yml launch_buttons.jupyterhub_url, unless --binder/--colab)")
    p.add_argument("--repo", help="repository URL (default: _config.yml repository.url)")
    p.add_argument("--branch", help="branch (default: _config.yml repository.branch)")
    p.add_argument("--binder", action="store_true", help="print the Binder link")
    p.add_argument("--colab", action="store_true", help="print the Colab link")
    p.set_defaults(func=_link)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except ImportError as exc:  # a learner's install (coursekit[notebooks]) lacks the maintainers' libraries
        print(f"coursekit {args.command}: needs {exc.name or 'a library'} that this install lacks. Maintainer "
              "commands need the pinned environment (pip install -r requirements.txt) or pip install -e '.[maint]'.",
              file=sys.stderr)
        return 2
