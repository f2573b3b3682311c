"""A malformed bank raises BankError naming the file, the question id and the field."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from coursekit.quizzes.bank import BankError, load_all, load_bank

VALID = {
    "chapter": "99_sample",
    "title": "Sample",
    "objectives": {"99.1": "Know things"},
    "questions": [
        {"id": "sample-single", "quiz": "a", "objective": "99.1", "type": "single", "prompt": "Pick",
         "options": [{"text": "yes", "correct": True, "feedback": "Right: because."},
                     {"text": "no", "correct": False, "feedback": "Wrong: because."}]},
        {"id": "sample-numeric", "quiz": "a", "objective": "99.1", "type": "numeric", "prompt": "How many?",
         "answer": 1.5, "tolerance": 0.1, "unit": "GB"},
    ],
}


def write(folder: Path, data, name: str = "99_sample.yml") -> Path:
    path = folder / name
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def broken(change) -> dict:
    data = copy.deepcopy(VALID)
    change(data)
    return data


def test_valid_bank_loads(tmp_path):
    bank = load_bank(write(tmp_path, VALID))
    assert [q.id for q in bank.questions] == ["sample-single", "sample-numeric"]
    assert bank.questions[1].tolerance == 0.1


CASES = {
    "missing field": (lambda d: d["questions"][0].pop("prompt"), "sample-single", "prompt", "missing"),
    "missing option feedback": (lambda d: d["questions"][0]["options"][1].pop("feedback"),
                                "sample-single", "options[1].feedback", "missing"),
    "no correct option": (lambda d: d["questions"][0]["options"][0].update(correct=False),
                          "sample-single", "options", "no option is marked correct"),
    "two correct in single": (lambda d: d["questions"][0]["options"][1].update(correct=True),
                              "sample-single", "options", "exactly one correct"),
    "correct not a bool": (lambda d: d["questions"][0]["options"][0].update(correct="yes please"),
                           "sample-single", "options[0].correct", "true or false"),
    "duplicate id": (lambda d: d["questions"][1].update(id="sample-single"), "sample-single", "id", "duplicate"),
    "unknown type": (lambda d: d["questions"][0].update(type="essay"), "sample-single", "type", "unknown type 'essay'"),
    "negative tolerance": (lambda d: d["questions"][1].update(tolerance=-0.5), "sample-numeric", "tolerance",
                           "zero or positive"),
    "tolerance not a number": (lambda d: d["questions"][1].update(tolerance="0.1"), "sample-numeric", "tolerance",
                               "must be a number"),
    "undeclared objective": (lambda d: d["questions"][0].update(objective="99.7"), "sample-single", "objective",
                             "not declared by the chapter"),
    "unquoted objective": (lambda d: d["questions"][0].update(objective=1.1), "sample-single", "objective",
                           "quoted text"),
    "misspelt field": (lambda d: d["questions"][0].update(feedbak="x"), "sample-single", "feedbak", "not a field"),
    "numeric without unit": (lambda d: d["questions"][1].pop("unit"), "sample-numeric", "unit", "missing"),
}


@pytest.mark.parametrize("case", CASES)
def test_fault_is_named(tmp_path, case):
    change, qid, field, words = CASES[case]
    with pytest.raises(BankError) as err:
        load_bank(write(tmp_path, broken(change)))
    message = str(err.value)
    assert message.startswith("99_sample.yml") or "99_sample.yml" in message
    assert f"question '{qid}'" in message
    assert f"field '{field}'" in message
    assert words in message


def test_bad_yaml_names_file_and_line(tmp_path):
    path = write(tmp_path, "chapter: 99_sample\nquestions:\n  - id: [unclosed\n    type: single\n")
    with pytest.raises(BankError, match=r"99_sample\.yml: invalid YAML at line \d+, column \d+"):
        load_bank(path)


def test_chapter_must_match_file_name(tmp_path):
    with pytest.raises(BankError, match=r"field 'chapter': is '99_sample' but the file is 98_other\.yml"):
        load_bank(write(tmp_path, VALID, name="98_other.yml"))


def test_duplicate_id_across_banks_names_both_files(tmp_path):
    write(tmp_path, VALID)
    other = broken(lambda d: d.update(chapter="98_other"))
    write(tmp_path, other, name="98_other.yml")
    with pytest.raises(BankError, match=r"99_sample\.yml, question 'sample-single', field 'id': duplicate id: also used in .*98_other\.yml"):
        load_all(tmp_path)


def test_one_bad_bank_does_not_hide_which(tmp_path):
    write(tmp_path, VALID)
    write(tmp_path, "chapter: [", name="98_other.yml")
    with pytest.raises(BankError, match=r"98_other\.yml: invalid YAML"):
        load_all(tmp_path)
