"""Every quiz bank in the repository loads, and each meets the course's bar for a chapter quiz."""

from __future__ import annotations

import pytest

from coursekit.paths import quizzes_dir
from coursekit.quizzes.bank import load_all, load_bank

BANKS = sorted(quizzes_dir().glob("*.yml"))


def test_all_banks_load_with_course_unique_ids():
    assert BANKS, "no quiz banks found"
    load_all()


@pytest.mark.parametrize("path", BANKS, ids=lambda p: p.stem)
def test_bank_meets_the_bar(path, root):
    bank = load_bank(path)
    assert (root / "chapters" / f"{bank.chapter}.ipynb").exists(), f"{path.name}: no chapter notebook of that name"
    if bank.placement:  # chapter 00's placement check: about 12 questions on other chapters' objectives
        assert 10 <= len(bank.questions) <= 15, f"{path.name}: a placement check has about 12 questions"
        assert len({o[:2] for o in bank.objectives}) >= 10, f"{path.name}: spread the questions over the chapters"
        return  # (tests/test_path.py checks them against the course path)
    assert 3 <= len(bank.objectives) <= 5, f"{path.name}: a chapter declares 3-5 objectives"
    assert len(bank.questions) >= 8, f"{path.name}: at least 8 questions"
    assert len({q.quiz for q in bank.questions}) >= 2, f"{path.name}: at least two quiz points"
    unassessed = set(bank.objectives) - {q.objective for q in bank.questions}
    assert not unassessed, f"{path.name}: objectives with no question: {sorted(unassessed)}"
