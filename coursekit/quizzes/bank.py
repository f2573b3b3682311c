"""Load and validate quiz banks (``quizzes/NN_stem.yml``).

Every fault raises :class:`BankError` naming the file, the question id and the field, so an
instructor editing a bank sees where the mistake is.

A *placement* bank (``placement: true``, chapter 00's placement check) declares no objectives of its
own: each of its questions names an objective declared by another chapter's bank in the same folder,
so objectives are written once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from coursekit.layout import display_path, error_at, quizzes_dir

SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's safe loader: same result, 10x faster
QUESTION_TYPES = ("single", "multiple", "numeric")
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")
OBJECTIVE_PATTERN = re.compile(r"^\d{2}\.\d+$")
PLACEMENT_LINE = re.compile(r"^placement:\s*true\s*(#.*)?$", re.MULTILINE)
BANK_FIELDS = {"chapter", "title", "objectives", "questions", "placement"}
COMMON_FIELDS = {"id", "quiz", "objective", "type", "prompt", "explanation"}
TYPE_FIELDS = {
    "single": {"options"},
    "multiple": {"options"},
    "numeric": {"answer", "tolerance", "unit", "common_mistakes"},
}


class BankError(ValueError):
    """A quiz bank is malformed; the message names the file, the question and the field."""

    def __init__(self, path: Path, message: str, question: str | None = None, field: str | None = None):
        self.path, self.question, self.field = path, question, field
        super().__init__(error_at(path, message, question=question, field=field))


@dataclass(frozen=True)
class Option:
    text: str
    correct: bool
    feedback: str


@dataclass(frozen=True)
class Mistake:
    value: float
    feedback: str


@dataclass(frozen=True)
class Question:
    id: str
    quiz: str
    objective: str
    type: str
    prompt: str
    explanation: str = ""
    options: tuple[Option, ...] = ()
    answer: float | None = None
    tolerance: float | None = None
    unit: str = ""
    common_mistakes: tuple[Mistake, ...] = ()


@dataclass(frozen=True)
class Bank:
    path: Path
    chapter: str
    title: str
    objectives: dict[str, str]
    questions: tuple[Question, ...] = field(default_factory=tuple)
    placement: bool = False  # a placement check: objectives belong to the other chapters' banks

    def select(self, quiz: str | None = None, ids: list[str] | None = None) -> list[Question]:
        """Questions of one quiz point (section tag), or the given ids in that order; all if neither."""
        if ids is not None:
            by_id = {q.id: q for q in self.questions}
            missing = [i for i in ids if i not in by_id]
            if missing:
                raise KeyError(f"{display_path(self.path)}: no question with id {', '.join(map(repr, missing))}")
            return [by_id[i] for i in ids]
        if quiz is None:
            return list(self.questions)
        chosen = [q for q in self.questions if q.quiz == quiz]
        if not chosen:
            points = sorted({q.quiz for q in self.questions})
            raise KeyError(f"{display_path(self.path)}: no quiz point {quiz!r}; this bank has {', '.join(points)}")
        return chosen


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class _QuestionReader:
    """Reads one question mapping, raising BankError with the question id and field on any fault."""

    def __init__(self, path: Path, raw: Any, index: int, objectives: dict[str, str], placement: bool = False):
        self.path, self.raw, self.objectives, self.placement = path, raw, objectives, placement
        self.qid = raw.get("id") if isinstance(raw, dict) and isinstance(raw.get("id"), str) else f"#{index + 1}"

    def fail(self, field: str | None, message: str) -> BankError:
        return BankError(self.path, message, question=self.qid, field=field)

    def text(self, mapping: dict, key: str, where: str, required: bool = True) -> str:
        if key not in mapping:
            if required:
                raise self.fail(where, "missing")
            return ""
        value = mapping[key]
        if not isinstance(value, str) or (required and not value.strip()):
            raise self.fail(where, f"must be non-empty text (got {value!r})")
        return value

    def read(self) -> Question:
        raw = self.raw
        if not isinstance(raw, dict):
            raise self.fail(None, f"each question must be a mapping (got {type(raw).__name__})")
        qid = self.text(raw, "id", "id")
        if not ID_PATTERN.match(qid):
            raise self.fail("id", "use lowercase letters, digits and dashes")
        qtype = self.text(raw, "type", "type")
        if qtype not in QUESTION_TYPES:
            raise self.fail("type", f"unknown type {qtype!r}; use one of {', '.join(QUESTION_TYPES)}")
        unknown = sorted(set(raw) - COMMON_FIELDS - TYPE_FIELDS[qtype])
        if unknown:
            raise self.fail(unknown[0], f"not a field of a {qtype} question")
        objective = raw.get("objective")
        if objective is None:
            raise self.fail("objective", "missing")
        if not isinstance(objective, str):
            raise self.fail("objective", f"write the objective id as quoted text, e.g. \"01.2\" (got {objective!r})")
        if objective not in self.objectives and self.placement:
            raise self.fail("objective", f"objective {objective!r} is not declared by any chapter's bank in {display_path(self.path.parent)}")
        if objective not in self.objectives:
            declared = ", ".join(self.objectives) or "none"
            raise self.fail("objective", f"objective {objective!r} is not declared by the chapter (declared: {declared})")
        common = dict(
            id=qid, type=qtype, objective=objective,
            quiz=self.text(raw, "quiz", "quiz"),
            prompt=self.text(raw, "prompt", "prompt"),
            explanation=self.text(raw, "explanation", "explanation", required=False),
        )
        if qtype == "numeric":
            return Question(**common, **self.numeric())
        return Question(**common, options=self.options(qtype))

    def options(self, qtype: str) -> tuple[Option, ...]:
        raw = self.raw.get("options")
        if raw is None:
            raise self.fail("options", "missing")
        if not isinstance(raw, list) or len(raw) < 2:
            raise self.fail("options", "give a list of at least two options")
        options = []
        for i, opt in enumerate(raw):
            where = f"options[{i}]"
            if not isinstance(opt, dict):
                raise self.fail(where, "each option must be a mapping with text, correct and feedback")
            unknown = sorted(set(opt) - {"text", "correct", "feedback"})
            if unknown:
                raise self.fail(f"{where}.{unknown[0]}", "not a field of an option")
            if not isinstance(opt.get("correct"), bool):
                raise self.fail(f"{where}.correct", f"must be true or false (got {opt.get('correct')!r})")
            options.append(Option(self.text(opt, "text", f"{where}.text"), opt["correct"],
                                  self.text(opt, "feedback", f"{where}.feedback")))
        n_correct = sum(o.correct for o in options)
        if n_correct == 0:
            raise self.fail("options", "no option is marked correct: true")
        if qtype == "single" and n_correct > 1:
            raise self.fail("options", f"a single-choice question needs exactly one correct option (found {n_correct}); use type: multiple")
        return tuple(options)

    def numeric(self) -> dict[str, Any]:
        raw = self.raw
        for key in ("answer", "tolerance"):
            if key not in raw:
                raise self.fail(key, "missing")
            if not _is_number(raw[key]):
                raise self.fail(key, f"must be a number (got {raw[key]!r})")
        if raw["tolerance"] < 0:
            raise self.fail("tolerance", f"must be zero or positive (got {raw['tolerance']})")
        if "unit" not in raw:
            raise self.fail("unit", "missing (use \"\" for a plain number)")
        if not isinstance(raw["unit"], str):
            raise self.fail("unit", f"must be text (got {raw['unit']!r})")
        mistakes = []
        for i, m in enumerate(raw.get("common_mistakes") or []):
            where = f"common_mistakes[{i}]"
            if not isinstance(m, dict) or not _is_number(m.get("value")):
                raise self.fail(f"{where}.value", "each common mistake needs a numeric value and a feedback")
            mistakes.append(Mistake(float(m["value"]), self.text(m, "feedback", f"{where}.feedback")))
        return dict(answer=float(raw["answer"]), tolerance=float(raw["tolerance"]), unit=raw["unit"],
                    common_mistakes=tuple(mistakes))


def load_bank(path: Path) -> Bank:
    """Read and validate one bank file."""
    path = Path(path)
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise BankError(path, f"invalid YAML{where}: {problem}") from exc
    except OSError as exc:
        raise BankError(path, f"cannot read: {exc.strerror}") from exc
    if not isinstance(raw, dict):
        raise BankError(path, "a bank must be a mapping with chapter, title, objectives and questions")
    unknown = sorted(set(raw) - BANK_FIELDS)
    if unknown:
        raise BankError(path, "not a field of a bank", field=unknown[0])
    for key in ("chapter", "title"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise BankError(path, "missing or not text", field=key)
    if raw["chapter"] != path.stem:
        raise BankError(path, f"is {raw['chapter']!r} but the file is {path.name}; they must match", field="chapter")
    placement = raw.get("placement", False)
    if not isinstance(placement, bool):
        raise BankError(path, f"must be true or false (got {placement!r})", field="placement")
    if placement and "objectives" in raw:
        raise BankError(path, "a placement bank declares no objectives: its questions name objectives of the "
                        "chapters' banks (declared once, there)", field="objectives")
    objectives = _chapter_objectives(path) if placement else raw.get("objectives")
    if not placement and (not isinstance(objectives, dict) or not objectives):
        raise BankError(path, "declare the chapter's objectives as a mapping of id to text", field="objectives")
    for key, text in objectives.items():
        if not isinstance(key, str) or not OBJECTIVE_PATTERN.match(key):
            raise BankError(path, f"objective id {key!r} must be quoted text like \"01.2\"", field="objectives")
        if not isinstance(text, str) or not text.strip():
            raise BankError(path, f"objective {key!r} needs a description", field="objectives")
    questions_raw = raw.get("questions")
    if not isinstance(questions_raw, list) or not questions_raw:
        raise BankError(path, "give a non-empty list of questions", field="questions")
    questions: list[Question] = []
    seen: set[str] = set()
    for index, item in enumerate(questions_raw):
        question = _QuestionReader(path, item, index, objectives, placement).read()
        if question.id in seen:
            raise BankError(path, "duplicate id in this bank", question=question.id, field="id")
        seen.add(question.id)
        questions.append(question)
    if placement:  # the objectives it assesses, in question order, with their chapters' wording
        objectives = {q.objective: objectives[q.objective] for q in questions}
    return Bank(path, raw["chapter"], raw["title"], dict(objectives), tuple(questions), placement)


def _chapter_objectives(placement_path: Path) -> dict[str, str]:
    """Every objective declared by the chapter banks next to a placement bank (placement banks skipped)."""
    objectives: dict[str, str] = {}
    for other in sorted(placement_path.parent.glob("*.yml")):
        if other.resolve() == placement_path.resolve():
            continue
        try:
            if PLACEMENT_LINE.search(other.read_text(encoding="utf-8")):
                continue  # another placement bank
        except OSError:
            pass  # load_bank below reports it
        objectives.update(load_bank(other).objectives)
    return objectives


def bank_path(chapter: str, folder: Path | None = None) -> Path:
    """The bank file for a chapter given as ``"01"`` or ``"01_ml_essentials"``."""
    folder = folder or quizzes_dir()
    exact = folder / f"{chapter}.yml"
    if exact.exists():
        return exact
    matches = sorted(folder.glob(f"{chapter}_*.yml"))
    if len(matches) != 1:
        found = ", ".join(p.name for p in sorted(folder.glob("*.yml"))) or "none"
        raise FileNotFoundError(f"no single quiz bank for chapter {chapter!r} in {folder} (banks: {found})")
    return matches[0]


def load_all(folder: Path | None = None) -> list[Bank]:
    """Load every bank in the folder, also checking that question ids are unique across the course."""
    banks = [load_bank(p) for p in sorted((folder or quizzes_dir()).glob("*.yml"))]
    owner: dict[str, Path] = {}
    for bank in banks:
        for q in bank.questions:
            if q.id in owner:
                raise BankError(bank.path, f"duplicate id: also used in {display_path(owner[q.id])}", question=q.id, field="id")
            owner[q.id] = bank.path
    return banks
