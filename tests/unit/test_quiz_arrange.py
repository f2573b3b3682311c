"""Options are shown in a fair, deterministic order: keys spread evenly, and answers recorded by bank index."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from coursekit.quizzes.arrange import arrangement, key_positions
from coursekit.quizzes.bank import Bank, Option, Question, load_all
from coursekit.quizzes.payload import question_payload


def single(qid: str, quiz: str = "a", objective: str = "99.1", n: int = 4, key: int = 0) -> Question:
    options = tuple(Option(f"option {i}", i == key, f"feedback {i}") for i in range(n))
    return Question(qid, quiz, objective, "single", "Pick one", options=options)


def bank(*questions: Question, placement: bool = False) -> Bank:
    return Bank(Path("quizzes/99_sample.yml"), "99_sample", "Sample", {"99.1": "x"}, tuple(questions), placement)


def test_keys_are_spread_evenly_over_positions():
    b = bank(*(single(f"q{i}") for i in range(12)))
    assert sorted(Counter(key_positions(b).values()).values()) == [3, 3, 3, 3]


def test_keys_are_spread_within_each_quiz_point_too():
    b = bank(*(single(f"a{i}", quiz="a") for i in range(4)), *(single(f"b{i}", quiz="b") for i in range(4)))
    keys = key_positions(b)
    for point in "ab":
        assert sorted(keys[f"{point}{i}"] for i in range(4)) == [0, 1, 2, 3]


def test_a_placement_chapters_questions_have_their_keys_in_different_places():
    b = bank(*(single(f"c{c}-{k}", objective=f"{c:02d}.1") for c in range(1, 14) for k in range(2)), placement=True)
    keys = key_positions(b)
    assert all(keys[f"c{c}-0"] != keys[f"c{c}-1"] for c in range(1, 14))


def test_shown_order_is_a_permutation_with_the_key_where_arranged():
    b = bank(*(single(f"q{i}", n=3 + i % 3, key=i % 3) for i in range(9)))
    keys, order = key_positions(b), arrangement(b)
    for q in b.questions:
        assert sorted(order[q.id]) == list(range(len(q.options)))
        assert q.options[order[q.id][keys[q.id]]].correct


def test_where_the_author_put_the_key_does_not_decide_where_it_is_shown():
    first = bank(*(single(f"q{i}", key=0) for i in range(8)))
    last = bank(*(single(f"q{i}", key=3) for i in range(8)))
    assert key_positions(first) == key_positions(last)


def test_the_arrangement_is_fixed_by_the_ids():
    """Hashes (sha256), not Python's salted hash() or random state: the same on every run and platform."""
    b = bank(*(single(f"q{i}") for i in range(6)))
    assert arrangement(b) == arrangement(bank(*(single(f"q{i}") for i in range(6))))
    assert arrangement(b)["q1"] == (3, 2, 1, 0)  # pinned: a change here re-orders every quiz in the book


def test_payload_lists_options_as_shown_each_with_its_bank_index():
    q = single("q0", key=2)
    data = question_payload(q, (3, 2, 0, 1))
    assert [o["index"] for o in data["options"]] == [3, 2, 0, 1]
    assert [o["correct"] for o in data["options"]] == [False, True, False, False]
    assert data["options"][1]["text_html"] == "<p>option 2</p>"


def test_course_banks_spread_their_keys():
    for b in load_all():
        counts = Counter(key_positions(b).values())
        if sum(counts.values()) >= 8:
            assert max(counts.values()) - min(counts[p] for p in range(3)) <= 2, (b.path.name, counts)
