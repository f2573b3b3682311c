"""Every quiz bank in the repository loads, and each meets the course's bar for a chapter quiz."""

from __future__ import annotations

from collections import Counter

import pytest

from coursekit.layout import quizzes_dir
from coursekit.quizzes.bank import load_all, load_bank

BANKS = sorted(quizzes_dir().glob("*.yml"))


def test_all_banks_load_with_course_unique_ids():
    assert BANKS, "no quiz banks found"
    load_all()


@pytest.mark.parametrize("path", BANKS, ids=lambda p: p.stem)
def test_bank_meets_the_bar(path, root):
    bank = load_bank(path)
    assert (root / "chapters" / f"{bank.chapter}.ipynb").exists(), f"{path.name}: no chapter notebook of that name"
    if bank.placement:  # chapter 00's placement check: two questions on each chapter it covers
        per_chapter = Counter(q.objective.split(".")[0] for q in bank.questions)
        assert len(per_chapter) >= 10, f"{path.name}: spread the questions over the chapters"
        assert set(per_chapter.values()) == {2}, (
            f"{path.name}: give each chapter two questions (one right guess must not skip a chapter): {dict(per_chapter)}")
        return  # (tests/unit/test_path.py checks them against the course path)
    assert 3 <= len(bank.objectives) <= 5, f"{path.name}: a chapter declares 3-5 objectives"
    assert len(bank.questions) >= 8, f"{path.name}: at least 8 questions"
    assert len({q.quiz for q in bank.questions}) >= 2, f"{path.name}: at least two quiz points"
    unassessed = set(bank.objectives) - {q.objective for q in bank.questions}
    assert not unassessed, f"{path.name}: objectives with no question: {sorted(unassessed)}"
