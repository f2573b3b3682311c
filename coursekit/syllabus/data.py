"""Load and validate the course path (``path.yml``) against ``_toc.yml`` and the quiz banks.

``path.yml`` declares, per chapter of the toc: prerequisites (earlier chapters' numbers), minutes, the date
its content was last reviewed and the tools it teaches (whose pinned versions its freshness line names).
Titles and objectives come from each chapter's quiz bank, so nothing is written twice. Every fault
raises :class:`PathError` naming the file, the chapter and the field.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from coursekit.layout import course_root, display_path, error_at
from coursekit.quizzes.bank import SAFE_LOADER, Bank, load_bank

PATH_FILE = "path.yml"
TOP_FIELDS = {"skim_percent", "system_tools", "chapters"}
ENTRY_FIELDS = {"chapter", "title", "prerequisites", "minutes", "reviewed", "tools"}
NUMBER = re.compile(r"^\d{2}$")
STEM = re.compile(r"^(\d{2})_[a-z0-9_]+$")


class PathError(ValueError):
    """The path data is wrong; the message names the file, the chapter and the field."""

    def __init__(self, path: Path, message: str, chapter: str | None = None, field: str | None = None):
        self.path, self.chapter, self.field = path, chapter, field
        super().__init__(error_at(path, message, chapter=chapter, field=field))


@dataclass(frozen=True)
class Chapter:
    stem: str  # "05_experiment_tracking"
    number: str  # "05"
    title: str
    minutes: int
    prerequisites: tuple[str, ...]  # numbers of earlier chapters
    objectives: dict[str, str]  # id -> text, from the chapter's bank (empty without one)
    questions: tuple[str, ...]  # question ids of the chapter's bank
    reviewed: datetime.date | None = None  # when its content was last checked against the tools and sources
    tools: tuple[str, ...] = ()  # distributions it teaches, as pinned in requirements.txt


@dataclass(frozen=True)
class CoursePath:
    path: Path
    chapters: tuple[Chapter, ...]
    skim_percent: int
    placement: Bank | None  # the placement check's bank, if the course has one
    system_tools: dict[str, str] | None = None  # programs not installed by pip: name -> the version tested

    def chapter(self, number: str) -> Chapter:
        for c in self.chapters:
            if c.number == number:
                return c
        raise KeyError(f"no chapter {number!r} in {display_path(self.path)}")

    @property
    def total_minutes(self) -> int:
        return sum(c.minutes for c in self.chapters)


def _read_yaml(path: Path, error=PathError) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise error(path, f"invalid YAML{where}: {getattr(exc, 'problem', None) or exc}") from exc
    except OSError as exc:
        raise error(path, f"cannot read: {exc.strerror}") from exc


def toc_chapters(root: Path | None = None) -> list[str]:
    """Stems of the chapters listed in ``_toc.yml`` (entries ``chapters/<stem>``), in toc order."""
    toc = (root or course_root()) / "_toc.yml"
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            entry = node.get("file")
            if isinstance(entry, str) and entry.startswith("chapters/"):
                found.append(entry.removeprefix("chapters/").removesuffix(".ipynb").removesuffix(".md"))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(_read_yaml(toc))
    return found


class _EntryReader:
    def __init__(self, file: Path, raw: Any, index: int):
        self.file, self.raw = file, raw
        self.stem = raw.get("chapter") if isinstance(raw, dict) and isinstance(raw.get("chapter"), str) else f"#{index + 1}"

    def fail(self, field: str | None, message: str) -> PathError:
        return PathError(self.file, message, chapter=self.stem, field=field)

    def read(self) -> dict[str, Any]:
        raw = self.raw
        if not isinstance(raw, dict):
            raise self.fail(None, "each chapter entry must be a mapping with chapter, prerequisites and minutes")
        unknown = sorted(set(raw) - ENTRY_FIELDS)
        if unknown:
            hint = " (objectives are declared once, in the chapter's quiz bank)" if unknown[0] == "objectives" else ""
            raise self.fail(unknown[0], "not a field of a chapter entry" + hint)
        if not isinstance(raw.get("chapter"), str) or not STEM.match(raw["chapter"]):
            raise self.fail("chapter", f"give the chapter's stem, e.g. 05_experiment_tracking (got {raw.get('chapter')!r})")
        minutes = raw.get("minutes")
        if not isinstance(minutes, int) or isinstance(minutes, bool) or minutes <= 0:
            raise self.fail("minutes", f"must be a whole number of minutes above zero (got {minutes!r})")
        prereqs = raw.get("prerequisites")
        if not isinstance(prereqs, list):
            raise self.fail("prerequisites", f"give a list of chapter numbers, [] for none (got {prereqs!r})")
        for p in prereqs:
            if not isinstance(p, str) or not NUMBER.match(p):
                raise self.fail("prerequisites", f"write chapter numbers as quoted text, e.g. \"01\" (got {p!r})")
        if len(set(prereqs)) != len(prereqs):
            raise self.fail("prerequisites", "lists a chapter twice")
        title = raw.get("title")
        if title is not None and (not isinstance(title, str) or not title.strip()):
            raise self.fail("title", f"must be non-empty text (got {title!r})")
        reviewed = raw.get("reviewed")
        if not isinstance(reviewed, datetime.date) or isinstance(reviewed, datetime.datetime):
            raise self.fail("reviewed", f"give the date the chapter was last reviewed, e.g. 2026-12-08 (got {reviewed!r})")
        tools = raw.get("tools", [])
        if not isinstance(tools, list) or not all(isinstance(t, str) and t.strip() for t in tools):
            raise self.fail("tools", f"give a list of the distributions the chapter teaches, [] for none (got {tools!r})")
        return {"stem": raw["chapter"], "minutes": minutes, "prerequisites": tuple(prereqs), "title": title,
                "reviewed": reviewed, "tools": tuple(tools)}


def load_path(root: Path | None = None) -> CoursePath:
    """Read ``path.yml`` and check it against ``_toc.yml`` and the quiz banks; raise PathError on any fault."""
    root = root or course_root()
    file = root / PATH_FILE
    raw = _read_yaml(file)
    if not isinstance(raw, dict):
        raise PathError(file, "must be a mapping with skim_percent and chapters")
    unknown = sorted(set(raw) - TOP_FIELDS)
    if unknown:
        raise PathError(file, "not a field of the path file", field=unknown[0])
    skim = raw.get("skim_percent")
    if not isinstance(skim, int) or isinstance(skim, bool) or not 0 <= skim <= 100:
        raise PathError(file, f"must be a whole percentage from 0 to 100 (got {skim!r})", field="skim_percent")
    system_tools = raw.get("system_tools", {})
    if not isinstance(system_tools, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in system_tools.items()):
        raise PathError(file, "map each program to the version the course is tested with, e.g. "
                        "prometheus: 2.42 (Debian 12's package)", field="system_tools")
    entries_raw = raw.get("chapters")
    if not isinstance(entries_raw, list) or not entries_raw:
        raise PathError(file, "give a non-empty list of chapter entries", field="chapters")
    entries = [_EntryReader(file, item, i).read() for i, item in enumerate(entries_raw)]

    toc = toc_chapters(root)
    stems = [e["stem"] for e in entries]
    for stem in stems:
        if stems.count(stem) > 1:
            raise PathError(file, "has two entries", chapter=stem)
        if stem not in toc:
            raise PathError(file, "is not a chapter of _toc.yml (remove the entry, or add the chapter to the toc)", chapter=stem)
    for stem in toc:
        if stem not in stems:
            raise PathError(file, "is in _toc.yml but has no entry here: add one with its prerequisites and minutes",
                            chapter=stem)
    if stems != toc:
        raise PathError(file, f"entries must follow the toc's order: {', '.join(toc)}", field="chapters")

    numbers = [STEM.match(s).group(1) for s in stems]
    for i, entry in enumerate(entries):
        for p in entry["prerequisites"]:
            if p not in numbers:
                raise PathError(file, f"prerequisite {p!r} is not a chapter of the course ({', '.join(numbers)})",
                                chapter=entry["stem"], field="prerequisites")
            if numbers.index(p) >= i:
                where = "is this chapter" if numbers.index(p) == i else "comes later in the course"
                raise PathError(file, f"prerequisite {p!r} {where}: a prerequisite must be an earlier chapter",
                                chapter=entry["stem"], field="prerequisites")

    banks_dir = root / "quizzes"
    placement: Bank | None = None
    chapters = []
    for entry, number in zip(entries, numbers):
        bank_file = banks_dir / f"{entry['stem']}.yml"
        bank = load_bank(bank_file) if bank_file.exists() else None
        if bank is not None and bank.placement:
            placement, bank = bank, None
        if bank is not None:
            if entry["title"] is not None:
                raise PathError(file, f"the title comes from {display_path(bank_file)} (title: {bank.title!r}); remove it here",
                                chapter=entry["stem"], field="title")
            asked = {q.objective for q in bank.questions}
            for objective in bank.objectives:
                if objective not in asked:
                    raise PathError(bank_file, f"objective {objective!r} has no quiz question", chapter=entry["stem"],
                                    field="objectives")
        elif entry["title"] is None:
            raise PathError(file, "this chapter has no quiz bank to take its title from: give a title",
                            chapter=entry["stem"], field="title")
        chapters.append(Chapter(
            stem=entry["stem"], number=number, title=bank.title if bank else entry["title"], minutes=entry["minutes"],
            prerequisites=entry["prerequisites"], objectives=dict(bank.objectives) if bank else {},
            questions=tuple(q.id for q in bank.questions) if bank else (),
            reviewed=entry["reviewed"], tools=entry["tools"],
        ))

    if placement is not None:
        owner = {o: c.stem for c in chapters for o in c.objectives}
        for q in placement.questions:
            if q.objective not in owner:
                raise PathError(placement.path, f"question {q.id!r} assesses objective {q.objective!r}, which belongs "
                                "to no chapter of the path", chapter=placement.chapter, field="objective")
    return CoursePath(file, tuple(chapters), skim, placement, dict(system_tools))


def placement_payload(course: CoursePath) -> dict[str, Any]:
    """What the placement rules (quiz.js) need: the chapters after the placement check's own chapter, with
    their prerequisites, minutes and the objectives its questions assess."""
    bank = course.placement
    if bank is None:
        raise ValueError(f"{display_path(course.path)}: the course has no placement bank (placement: true)")
    home = bank.chapter[:2]
    asked = {q.objective for q in bank.questions}
    return {
        "skim_percent": course.skim_percent,
        "chapters": [
            {
                "number": c.number,
                "title": c.title,
                "minutes": c.minutes,
                "prerequisites": [p for p in c.prerequisites if p != home],
                "objectives": {o: text for o, text in c.objectives.items() if o in asked},
            }
            for c in course.chapters if c.number != home
        ],
    }
