"""The bank linter fails on the cues a test-wise learner uses, naming the file, the question and the cue."""

from __future__ import annotations

from pathlib import Path

import pytest

from coursekit.quizzes.bank import Bank, Option, Question, load_all
from coursekit.quizzes.cues import choose, items, lint, strategy_scores

FAIR_KEYS = [2, 1, 3, 0, 1]  # a middle-length option in each
FAIR = [  # five questions whose options are alike: same length band, no cue words, no echo
    ("Where does the model's code come from?", ["From the registry", "From the image", "From the bucket", "From the wheel"]),
    ("Which port does it serve on?", ["Port eight", "Port nine", "Port ten", "Port five"]),
    ("What restarts the pod?", ["The kubelet", "The scheduler", "The gateway", "The operator"]),
    ("What reads the alert rule?", ["Prometheus", "Alertmanager", "Grafana", "Pushgateway"]),
    ("Which store keeps params?", ["The SQL store", "The file store", "The object store", "The log store"]),
]


def question(qid: str, prompt: str, texts: list[str], key: int = 0, qtype: str = "single",
             correct: list[int] | None = None, objective: str = "99.1") -> Question:
    right = set(correct if correct is not None else [key])
    return Question(qid, "a", objective, qtype, prompt,
                    options=tuple(Option(t, i in right, f"feedback {i}") for i, t in enumerate(texts)))


def bank(*questions: Question, placement: bool = False) -> Bank:
    return Bank(Path("quizzes/99_sample.yml"), "99_sample", "Sample", {"99.1": "x"}, tuple(questions), placement)


def fair(n: int = 5) -> list[Question]:
    return [question(f"fair-{i}", prompt, texts, key=FAIR_KEYS[i]) for i, (prompt, texts) in enumerate(FAIR[:n])]


def cues_of(b: Bank) -> dict[str, str]:
    return {c.cue: str(c) for c in lint(b)}


def test_a_fair_bank_has_no_cues():
    assert lint(bank(*fair())) == []


def test_an_option_twice_as_long_as_another_is_named_with_its_question():
    long = question("long-one", "Which one?", ["A very long and careful answer, with reasons", "Short", "Brief", "Tiny"])
    found = cues_of(bank(*fair(), long))
    assert found["length-spread"].startswith("quizzes/99_sample.yml, question 'long-one': length-spread:")


def test_the_key_as_the_longest_option_too_often():
    qs = [question(f"k{i}", p, [t[0] + " and more words"] + t[1:]) for i, (p, t) in enumerate(FAIR)]
    found = cues_of(bank(*qs))
    assert "key-longest" in found and "k0, k1" in found["key-longest"]
    assert "key-length-ratio" in found


def test_the_key_as_the_shortest_option_too_often():
    qs = [question(f"s{i}", p, ["Yes"] + [t + "s" for t in ["Not so", "Nope", "Never"]]) for i, (p, _) in enumerate(FAIR)]
    assert "key-shortest" in cues_of(bank(*qs))


def test_keys_that_alone_repeat_the_prompt():
    qs = [question(f"e{i}", f"Which registry alias points at {w}?", [f"The alias {w}", "The tag latest", "The tag main", "The label prod"])
          for i, w in enumerate(["champion", "canary", "baseline", "stable", "shadow"])]
    assert "strategy-echo" in cues_of(bank(*qs))


def test_keys_that_alone_hedge():
    qs = [question(f"h{i}", p, ["It usually may"] + ["It is broken", "It is stale", "It is fresh"]) for i, (p, _) in enumerate(FAIR)]
    assert "strategy-hedged" in cues_of(bank(*qs))


def test_absolute_words_only_in_distractors():
    qs = [question(f"a{i}", p, ["It is one way", "It is always so", "It never runs", "It is only A"]) for i, (p, _) in enumerate(FAIR)]
    assert "strategy-no-absolutes" in cues_of(bank(*qs))


def test_a_catch_all_option():
    q = question("catch", "Which?", ["All of the above", "The first", "The second", "The third"], key=0)
    assert "catch-all" in cues_of(bank(*fair(), q))


def test_a_select_all_question_where_every_option_is_right():
    q = question("all-right", "Select all", ["One thing", "Two thing", "Red thing"], qtype="multiple", correct=[0, 1, 2])
    assert "all-correct" in cues_of(bank(*fair(), q))


def test_select_all_questions_whose_right_options_are_the_long_ones():
    qs = [question(f"m{i}", "Select all", ["A right and long one", "A right and long two", "Wrong one", "Wrong two"],
                   qtype="multiple", correct=[0, 1]) for i in range(3)]
    assert "multiple-length-ratio" in cues_of(bank(*fair(), *qs))


def test_a_placement_check_that_a_fixed_strategy_would_skip():
    one = [question("p1", "Which?", ["Long right answer", "Short", "Brief", "Tiny"], objective="01.1"),
           question("p2", "Which?", ["Long right answer", "Short", "Brief", "Tiny"], objective="01.2")]
    found = cues_of(bank(*one, placement=True))
    assert "placement-longest" in found and "chapter 01" in found["placement-longest"]


def test_strategies_score_as_chance_on_a_fair_bank():
    scores = strategy_scores(bank(*fair(4)))
    assert scores["chance"] == 0.25
    assert scores["first"] == scores["last"] == 0.25


def test_choose_takes_the_first_of_a_tie():
    it = items(bank(question("t", "Which?", ["Same", "Also", "Four", "Five"])))[0]
    assert choose(it, "longest") == 0


@pytest.mark.parametrize("b", load_all(), ids=lambda b: b.chapter)
def test_course_bank_has_no_cues(b):
    found = lint(b)
    assert not found, "\n".join(map(str, found))
