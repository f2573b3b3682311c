"""The course path (path.yml): it matches the toc and the chapters, every fault is named, and the path map
is drawn from it (deterministic, every chapter, every prerequisite)."""

from __future__ import annotations

import copy
import datetime
import re

import pytest
import yaml

from coursekit.notebooks import io
from coursekit.quizzes.bank import BankError, load_bank
from coursekit.syllabus import PathError, load_path, placement_payload, toc_chapters
from coursekit.syllabus.pathmap import PathMap, layers, reduced_edges

# --------------------------------------------------------------------------- the course's own data

def test_path_has_exactly_the_toc_chapters_in_order():
    course = load_path()
    assert [c.stem for c in course.chapters] == toc_chapters()
    assert course.placement is not None and course.placement.chapter == "00_start_here"


def _said_prerequisites(path) -> set[str]:
    """The chapter numbers a chapter's introduction names after **Prerequisites:** (up to **Time:**)."""
    intro = next(c.source for c in io.read(path).cells if c.cell_type == "markdown" and "**Prerequisites:**" in c.source)
    said = intro.split("**Prerequisites:**", 1)[1].split("**Time:**", 1)[0]
    return set(re.findall(r"(?<![\w.])(\d\d)(?![\w])", said))


def test_prerequisites_agree_with_what_each_chapter_says(root):
    """path.yml is the data; each chapter's introduction says the same thing in words."""
    course = load_path()
    wrong = []
    for c in course.chapters:
        said = _said_prerequisites(root / "chapters" / f"{c.stem}.ipynb")
        if said != set(c.prerequisites):
            wrong.append(f"{c.stem}: path.yml {sorted(c.prerequisites)}, the chapter says {sorted(said)}")
    assert not wrong, "\n".join(wrong)


def test_placement_bank_assesses_chapter_objectives():
    course = load_path()
    bank = course.placement
    owners = {o: c.number for c in course.chapters for o in c.objectives}
    assert 20 <= len(bank.questions) <= 30, "the placement check has two questions on each chapter 01-13"
    for q in bank.questions:
        assert q.objective in owners, f"{q.id}: objective {q.objective} is declared by no chapter's bank"
        assert owners[q.objective] != "00"
        assert q.quiz == "placement"
    assert len({owners[q.objective] for q in bank.questions}) >= 10, "the questions spread over the chapters"
    payload = placement_payload(course)
    assert [c["number"] for c in payload["chapters"]] == [c.number for c in course.chapters if c.number != "00"]
    assert all(p != "00" for c in payload["chapters"] for p in c["prerequisites"])


# --------------------------------------------------------------------------- faults, in a small course

def _bank(stem: str, n_objectives: int = 2) -> dict:
    number = stem[:2]
    objectives = {f"{number}.{i + 1}": f"objective {i + 1}" for i in range(n_objectives)}
    return {
        "chapter": stem, "title": f"Title {number}", "objectives": objectives,
        "questions": [
            {"id": f"q-{number}-{i + 1}", "quiz": "a", "objective": o, "type": "single", "prompt": "Pick",
             "options": [{"text": "yes", "correct": True, "feedback": "Right."},
                         {"text": "no", "correct": False, "feedback": "Wrong."}]}
            for i, o in enumerate(objectives)
        ],
    }


REVIEWED = datetime.date(2026, 12, 8)
PATH = {
    "skim_percent": 25,
    "chapters": [
        {"chapter": "00_start", "title": "Start", "prerequisites": [], "minutes": 10, "reviewed": REVIEWED},
        {"chapter": "01_one", "prerequisites": ["00"], "minutes": 60, "reviewed": REVIEWED, "tools": ["mlflow"]},
        {"chapter": "02_two", "prerequisites": ["01"], "minutes": 70, "reviewed": REVIEWED},
        {"chapter": "03_three", "prerequisites": ["01", "02"], "minutes": 80, "reviewed": REVIEWED},
    ],
}


@pytest.fixture
def course(tmp_path, monkeypatch):
    """A course of four chapters: 00 (no bank), 01-03 with banks; returns a writer for path.yml."""
    stems = [e["chapter"] for e in PATH["chapters"]]
    toc = {"format": "jb-book", "root": "index", "parts": [{"caption": "Chapters", "chapters": [{"file": f"chapters/{s}"} for s in stems]}]}
    (tmp_path / "_toc.yml").write_text(yaml.safe_dump(toc, sort_keys=False), encoding="utf-8")
    (tmp_path / "quizzes").mkdir()
    for stem in stems[1:]:
        (tmp_path / "quizzes" / f"{stem}.yml").write_text(yaml.safe_dump(_bank(stem), sort_keys=False), encoding="utf-8")
    monkeypatch.setenv("COURSEKIT_ROOT", str(tmp_path))

    def write(change=lambda d: None):
        data = copy.deepcopy(PATH)
        change(data)
        (tmp_path / "path.yml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        return tmp_path

    return write


def test_small_course_loads(course):
    path = load_path(course())
    assert [c.number for c in path.chapters] == ["00", "01", "02", "03"]
    assert path.chapter("03").title == "Title 03" and path.chapter("00").title == "Start"
    assert path.chapter("02").objectives == {"02.1": "objective 1", "02.2": "objective 2"}
    assert path.total_minutes == 220
    assert path.chapter("01").tools == ("mlflow",) and path.chapter("02").reviewed == REVIEWED


def _entry(stem):
    return lambda d: next(e for e in d["chapters"] if e["chapter"] == stem)


FAULTS = {
    "toc chapter missing from the data": (lambda d: d["chapters"].pop(2), "path.yml", "02_two", None,
                                          "is in _toc.yml but has no entry here"),
    "data names a chapter not in the toc": (lambda d: d["chapters"].append({"chapter": "04_four", "prerequisites": [], "minutes": 5,
                                                                          "reviewed": REVIEWED}),
                                            "path.yml", "04_four", None, "is not a chapter of _toc.yml"),
    "prerequisite later": (lambda d: _entry("01_one")(d).update(prerequisites=["03"]), "path.yml", "01_one",
                           "prerequisites", "prerequisite '03' comes later in the course"),
    "prerequisite itself": (lambda d: _entry("02_two")(d).update(prerequisites=["02"]), "path.yml", "02_two",
                            "prerequisites", "prerequisite '02' is this chapter"),
    "prerequisite unknown": (lambda d: _entry("03_three")(d).update(prerequisites=["01", "07"]), "path.yml", "03_three",
                             "prerequisites", "prerequisite '07' is not a chapter of the course"),
    "prerequisite unquoted": (lambda d: _entry("03_three")(d).update(prerequisites=[1]), "path.yml", "03_three",
                              "prerequisites", "quoted text"),
    "minutes missing": (lambda d: _entry("02_two")(d).pop("minutes"), "path.yml", "02_two", "minutes", "whole number"),
    "title twice": (lambda d: _entry("01_one")(d).update(title="One"), "path.yml", "01_one", "title",
                    "the title comes from quizzes/01_one.yml"),
    "no title and no bank": (lambda d: _entry("00_start")(d).pop("title"), "path.yml", "00_start", "title",
                             "no quiz bank to take its title from"),
    "objectives written here": (lambda d: _entry("01_one")(d).update(objectives={"01.1": "x"}), "path.yml", "01_one",
                                "objectives", "declared once, in the chapter's quiz bank"),
    "review date missing": (lambda d: _entry("02_two")(d).pop("reviewed"), "path.yml", "02_two", "reviewed",
                            "give the date the chapter was last reviewed"),
    "review date not a date": (lambda d: _entry("02_two")(d).update(reviewed="last week"), "path.yml", "02_two",
                               "reviewed", "e.g. 2026-12-08"),
    "tools not a list": (lambda d: _entry("01_one")(d).update(tools="mlflow"), "path.yml", "01_one", "tools",
                         "give a list of the distributions"),
    "system tool without a version": (lambda d: d.update(system_tools={"prometheus": ""}), "path.yml", None,
                                      "system_tools", "map each program to the version"),
    "order differs from the toc": (lambda d: d["chapters"].insert(1, d["chapters"].pop(2)), "path.yml", None, "chapters",
                                   "must follow the toc's order"),
}


@pytest.mark.parametrize("case", FAULTS)
def test_fault_is_named(course, case):
    change, file, chapter, field, words = FAULTS[case]
    root = course(change)
    with pytest.raises(PathError) as err:
        load_path(root)
    message = str(err.value)
    assert message.startswith(file), message
    assert (f"chapter '{chapter}'" in message) if chapter else ("chapter '" not in message), message
    assert (f"field '{field}'" in message) if field else ("field '" not in message), message
    assert words in message, message


def test_objective_without_a_question_names_the_bank_and_chapter(course):
    root = course()
    bank = _bank("02_two", n_objectives=3)
    bank["questions"].pop()  # 02.3 is declared, but no question assesses it
    (root / "quizzes" / "02_two.yml").write_text(yaml.safe_dump(bank, sort_keys=False), encoding="utf-8")
    with pytest.raises(PathError, match=r"^quizzes/02_two\.yml, chapter '02_two', field 'objectives': objective '02\.3' has no quiz question"):
        load_path(root)


def _placement(**extra) -> dict:
    return {"chapter": "00_start", "title": "Placement check", "placement": True, **extra,
            "questions": [{"id": "p-1", "quiz": "placement", "objective": "02.1", "type": "single", "prompt": "Pick",
                           "options": [{"text": "yes", "correct": True, "feedback": "Right."},
                                       {"text": "no", "correct": False, "feedback": "Wrong."}]}]}


def test_placement_bank_takes_objectives_from_the_chapters(course):
    root = course()
    (root / "quizzes" / "00_start.yml").write_text(yaml.safe_dump(_placement()), encoding="utf-8")
    bank = load_bank(root / "quizzes" / "00_start.yml")
    assert bank.placement and bank.objectives == {"02.1": "objective 1"}
    path = load_path(root)
    assert path.placement.chapter == "00_start" and path.chapter("00").objectives == {}
    payload = placement_payload(path)
    assert [c["number"] for c in payload["chapters"]] == ["01", "02", "03"]
    assert payload["chapters"][0]["prerequisites"] == []  # chapter 00 is where the check is taken
    assert payload["chapters"][1]["objectives"] == {"02.1": "objective 1"}  # only what the check asks


@pytest.mark.parametrize("change, field, words", [
    (lambda d: d["questions"][0].update(objective="05.1"), "objective", "not declared by any chapter's bank"),
    (lambda d: d.update(objectives={"00.1": "x"}), "objectives", "a placement bank declares no objectives"),
    (lambda d: d.update(placement="yes"), "placement", "true or false"),
])
def test_placement_bank_faults_are_named(course, change, field, words):
    root = course()
    data = _placement()
    change(data)
    (root / "quizzes" / "00_start.yml").write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(BankError) as err:
        load_bank(root / "quizzes" / "00_start.yml")
    assert "00_start.yml" in str(err.value) and f"field '{field}'" in str(err.value) and words in str(err.value)


# --------------------------------------------------------------------------- the path map

def _closure(edges) -> set[tuple[str, str]]:
    reach = set(edges)
    while True:
        more = {(a, d) for a, b in reach for c, d in reach if b == c} - reach
        if not more:
            return reach
        reach |= more


def test_map_is_deterministic_and_draws_every_chapter_and_prerequisite():
    course = load_path()
    first, second = PathMap(course), PathMap(load_path())
    assert first.svg == second.svg and first._repr_html_() == second._repr_html_()
    svg = first.svg
    nodes = re.findall(r'<g class="ck-path-node" data-chapter="(\d\d)">', svg)
    assert nodes == [c.number for c in course.chapters]
    drawn = set(re.findall(r'class="ck-path-edge" data-from="(\d\d)" data-to="(\d\d)"', svg))
    declared = {(p, c.number) for c in course.chapters for p in c.prerequisites}
    assert drawn <= declared, f"arrows that are no prerequisite: {sorted(drawn - declared)}"
    assert _closure(drawn) == _closure(declared), "the arrows do not imply every prerequisite"
    for c in course.chapters:
        assert c.title.split()[0] in svg
    assert svg.count("<svg") == 1 and 'role="img"' in svg and "<title" in svg and "<desc" in svg


def test_reduction_and_layers_on_a_small_graph():
    prereqs = {"00": (), "01": ("00",), "02": ("00", "01"), "03": ("00", "02"), "04": ("01",)}
    assert reduced_edges(prereqs) == [("00", "01"), ("01", "02"), ("02", "03"), ("01", "04")]
    assert layers(prereqs) == {"00": 0, "01": 1, "02": 2, "03": 3, "04": 2}


def test_map_boxes_do_not_overlap_and_arrows_point_down():
    svg = PathMap(load_path()).svg
    boxes = [tuple(map(float, m)) for m in re.findall(
        r'<rect x="([\d.]+)" y="([\d.]+)" width="(\d+)" height="(\d+)" rx="6"', svg)]
    for i, (x1, y1, w1, h1) in enumerate(boxes):
        for x2, y2, w2, h2 in boxes[i + 1:]:
            assert x1 + w1 <= x2 or x2 + w2 <= x1 or y1 + h1 <= y2 or y2 + h2 <= y1, "two chapter boxes overlap"
    for d in re.findall(r'class="ck-path-edge" data-from="\d\d" data-to="\d\d" d="([^"]+)"', svg):
        ys = [float(v) for v in re.findall(r",([\d.]+)", d)]
        assert ys[-1] > ys[0], f"arrow {d} does not point down"


def test_chapter_00_shows_the_current_map(root):
    """The map in chapter 00 is generated at refresh time; it must be redrawn when path.yml changes."""
    nb = io.read(root / "chapters" / "00_start_here.ipynb")
    shown = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if "text/html" in o.get("data", {})
             and "ck-path-map" in "".join(o["data"]["text/html"])]
    assert shown, "chapter 00 shows no path map"
    assert "".join(shown[0]["data"]["text/html"]) == PathMap(load_path())._repr_html_(), (
        "chapter 00's path map is out of date: run python -m coursekit refresh chapters/00_start_here.ipynb")


def test_path_command_validates(course, capsys):
    from coursekit.cli import main

    course()
    assert main(["path"]) == 0 and "Path map: 4 chapters, 3 h 40 min in all" in capsys.readouterr().out
    course(lambda d: d["chapters"].pop(3))
    assert main(["path"]) == 1
    assert "path.yml, chapter '03_three': is in _toc.yml but has no entry here" in capsys.readouterr().err


def test_freshness_line_names_pins_then_system_tools(course):
    from coursekit.freshness import FreshnessError, line

    def with_tools(d):
        d["system_tools"] = {"prometheus": "2.42 (Debian 12's package)"}
        _entry("01_one")(d).update(tools=["mlflow", "prometheus"])

    chapter = load_path(course(with_tools)).chapter("01")
    text = line(chapter, {"mlflow": "3.17.2"}, "3.11", {"prometheus": "2.42 (Debian 12's package)"})
    assert "with Python 3.11, mlflow 3.17.2, prometheus 2.42 (Debian 12's package):" in text
    with pytest.raises(FreshnessError, match="chapter '01_one', field 'tools': prometheus neither pinned"):
        line(chapter, {"mlflow": "3.17.2"}, "3.11", {})
