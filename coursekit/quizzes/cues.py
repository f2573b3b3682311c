"""The bank linter: cues that let a learner who does not know the answer pick it anyway.

Item-writing guidelines (Haladyna, Downing & Rodriguez 2002, "A review of multiple-choice item-writing
guidelines") ask that the key not stand out by length, position, hedging, absolute words, echoes of
the prompt or grammar. Each rule below measures one such cue as a *test-wise strategy* (a way to
choose an option without reading for meaning) and fails when it beats guessing by too much, with a
message naming the file, the question (for per-question rules) and the cue.

Shown positions come from :mod:`coursekit.quizzes.arrange`, so position rules judge what a learner sees.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from statistics import mean

from coursekit.layout import error_at
from coursekit.quizzes.arrange import arrangement
from coursekit.quizzes.bank import Bank, Question
from coursekit.quizzes.markdown import to_html

MAX_LENGTH_RATIO = 2.0  # no option more than twice as long as another in the same question
LONGEST_SHARE = 1 / 3  # the key may be the longest (or the shortest) option in at most this share
KEY_RATIO = (0.8, 1.25)  # mean over a bank of len(key) / mean len(distractors)
MULTIPLE_RATIO = (0.75, 1.33)  # select-all questions: mean len(correct options) / mean len(wrong ones)
BEATS_GUESSING = 0.15  # a strategy may score at most this much above guessing (share of the bank's questions)
MIN_QUESTIONS = 4  # bank-level rules need this many single-choice questions to mean anything

HEDGES = frozenset("""usually often typically generally mostly may might can could sometimes some
    likely probably roughly about approximately tends depends depending""".split())
ABSOLUTES = frozenset("""always never only all none every any must cannot impossible guaranteed guarantees
    completely entirely nothing everything""".split())
STOPWORDS = frozenset("""a an and are as at be by for from has have how in into is it its of on or that the
    their them then there these this those to was were what when which who why will with you your does do
    not no than so if""".split())
CATCH_ALL = re.compile(r"\b(all|none|both|neither) of (the )?(above|these|options|answers)\b", re.IGNORECASE)
WORD = re.compile(r"[a-z0-9_]+(?:[-'][a-z0-9_]+)*")


@dataclass(frozen=True)
class Cue:
    """One finding: which cue, in which bank (and question), and what to change."""

    bank: Bank
    cue: str
    message: str
    question: str | None = None

    def __str__(self) -> str:
        return error_at(self.bank.path, f"{self.cue}: {self.message}", question=self.question)


def plain(markdown: str) -> str:
    """The text a learner reads: Markdown rendered, tags dropped, whitespace collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", to_html(markdown))).split())


def words(text: str) -> list[str]:
    return WORD.findall(plain(text).lower())


@dataclass(frozen=True)
class Item:
    """A choice question as shown: option texts and correct flags in shown order."""

    question: Question
    texts: tuple[str, ...]  # as read (plain text)
    sources: tuple[str, ...]  # as written (Markdown)
    correct: tuple[bool, ...]

    @property
    def key(self) -> int:
        return self.correct.index(True)

    @property
    def lengths(self) -> tuple[int, ...]:
        return tuple(len(t) for t in self.texts)


def items(bank: Bank, types: Iterable[str] = ("single",)) -> list[Item]:
    order = arrangement(bank)
    out = []
    for q in bank.questions:
        if q.type in types:
            shown = [q.options[i] for i in order[q.id]]
            out.append(Item(q, tuple(plain(o.text) for o in shown), tuple(o.text for o in shown),
                            tuple(o.correct for o in shown)))
    return out


# ---------------------------------------------------------------- strategies: option -> score, pick the best

def _pick(scores: Sequence[float]) -> list[int]:
    """Options a strategy would choose among (the best-scoring ones); all of them when they tie."""
    best = max(scores)
    return [i for i, s in enumerate(scores) if s == best]


def _expected(item: Item, chosen: list[int]) -> float:
    """Probability of picking the key when choosing at random among *chosen*."""
    return sum(item.correct[i] for i in chosen) / len(chosen)


def _echo(item: Item) -> list[float]:
    prompt = set(words(item.question.prompt)) - STOPWORDS
    return [len((set(WORD.findall(t.lower())) - STOPWORDS) & prompt) for t in item.texts]


def _count(vocabulary: frozenset[str]) -> Callable[[Item], list[float]]:
    return lambda item: [sum(w in vocabulary for w in WORD.findall(t.lower())) for t in item.texts]


def _no_absolutes(item: Item) -> list[float]:
    counts = _count(ABSOLUTES)(item)
    return [-c for c in counts]


def _specifics(item: Item) -> list[float]:
    """Numbers, code and parentheses: what makes an option look precise."""
    return [len(re.findall(r"`[^`]+`|\d+(?:[.,]\d+)?|\([^)]*\)", t)) for t in item.sources]


STRATEGIES: dict[str, tuple[str, Callable[[Item], list[float]]]] = {
    "first": ("always the first option", lambda it: [1.0] + [0.0] * (len(it.texts) - 1)),
    "last": ("always the last option", lambda it: [0.0] * (len(it.texts) - 1) + [1.0]),
    "longest": ("always the longest option", lambda it: list(it.lengths)),
    "shortest": ("always the shortest option", lambda it: [-n for n in it.lengths]),
    "echo": ("the option repeating most words of the prompt", _echo),
    "hedged": ("the most hedged option (usually, may, can, typically...)", _count(HEDGES)),
    "no-absolutes": ("avoid options with absolute words (always, never, only...)", _no_absolutes),
    "specific": ("the most specific-looking option (numbers, code, parentheses)", _specifics),
}


def strategy_scores(bank: Bank) -> dict[str, float]:
    """Expected share of the bank's single-choice questions each strategy gets right, plus ``chance``."""
    its = items(bank)
    if not its:
        return {}
    out = {name: mean(_expected(it, _pick(fn(it))) for it in its) for name, (_, fn) in STRATEGIES.items()}
    out["chance"] = mean(1 / len(it.texts) for it in its)
    return out


# ---------------------------------------------------------------- the rules

def _question_cues(bank: Bank) -> list[Cue]:
    found = []
    for it in items(bank, ("single", "multiple")):
        qid, lengths = it.question.id, it.lengths
        long, short = max(range(len(lengths)), key=lengths.__getitem__), min(range(len(lengths)), key=lengths.__getitem__)
        if lengths[long] > MAX_LENGTH_RATIO * max(lengths[short], 1):
            found.append(Cue(bank, "length-spread", f"an option of {lengths[long]} characters ({it.texts[long][:50]!r}...) is "
                             f"more than {MAX_LENGTH_RATIO:g}x one of {lengths[short]} ({it.texts[short][:50]!r}); "
                             "make the options alike in length", qid))
        seen: dict[str, int] = {}
        for text in it.texts:
            if text.lower() in seen:
                found.append(Cue(bank, "duplicate-option", f"two options read {text[:60]!r}", qid))
            seen[text.lower()] = 1
        for text in it.texts:
            if CATCH_ALL.search(text):
                found.append(Cue(bank, "catch-all", f"{text[:60]!r}: no 'all/none of the above' options", qid))
        if it.question.type == "multiple" and all(it.correct):
            found.append(Cue(bank, "all-correct", "every option is correct, so 'select all' wins; add a real distractor", qid))
    return found


def _bank_cues(bank: Bank) -> list[Cue]:
    its = items(bank)
    if len(its) < MIN_QUESTIONS:
        return []
    found = []
    scores = strategy_scores(bank)
    chance = scores["chance"]

    def ids(pred: Callable[[Item], bool]) -> str:
        hit = [it.question.id for it in its if pred(it)]
        return ", ".join(hit[:6]) + (f" and {len(hit) - 6} more" if len(hit) > 6 else "")

    for name, label in (("longest", "longest"), ("shortest", "shortest")):
        pick = max if name == "longest" else min
        share = mean(it.lengths[it.key] == pick(it.lengths) for it in its)
        if share > LONGEST_SHARE:
            found.append(Cue(bank, f"key-{label}", f"the key is the {label} option in {share:.0%} of the single-choice "
                             f"questions (at most {LONGEST_SHARE:.0%}): "
                             f"{ids(lambda it: it.lengths[it.key] == pick(it.lengths))}"))  # noqa: B023 - ids() calls it at once
    ratio = mean(it.lengths[it.key] / mean(n for i, n in enumerate(it.lengths) if i != it.key) for it in its)
    if not KEY_RATIO[0] <= ratio <= KEY_RATIO[1]:
        found.append(Cue(bank, "key-length-ratio", f"keys are on average {ratio:.2f}x as long as the distractors "
                         f"(keep it within {KEY_RATIO[0]:g}-{KEY_RATIO[1]:g})"))
    for name, (label, _) in STRATEGIES.items():
        if name in ("longest", "shortest"):
            continue  # judged by share above
        if scores[name] > chance + BEATS_GUESSING:
            found.append(Cue(bank, f"strategy-{name}", f"choosing {label} scores {scores[name]:.0%} where guessing "
                             f"scores {chance:.0%} (at most {BEATS_GUESSING:.0%} above guessing)"))
    return found


def _multiple_cues(bank: Bank) -> list[Cue]:
    """Select-all questions: the correct options must not be the long ones."""
    its = [it for it in items(bank, ("multiple",)) if not all(it.correct)]
    if len(its) < 2:
        return []
    ratio = mean(mean(n for n, ok in zip(it.lengths, it.correct) if ok) /
                 mean(n for n, ok in zip(it.lengths, it.correct) if not ok) for it in its)
    low, high = MULTIPLE_RATIO
    if not low <= ratio <= high:
        return [Cue(bank, "multiple-length-ratio", f"in the select-all questions, correct options are on average "
                    f"{ratio:.2f}x as long as the wrong ones (keep it within {low:g}-{high:g})")]
    return []


def choose(item: Item, strategy: str) -> int:
    """The shown position a test-wise learner following *strategy* picks (the first of any tie)."""
    return _pick(STRATEGIES[strategy][1](item))[0]


def _placement_cues(bank: Bank) -> list[Cue]:
    """A placement check must not recommend skipping a chapter to a learner who answers by a fixed rule."""
    if not bank.placement:
        return []
    found = []
    by_chapter: dict[str, list[Item]] = {}
    for it in items(bank):
        by_chapter.setdefault(it.question.objective.split(".")[0], []).append(it)
    for name in ("first", "last", "longest", "shortest"):
        skipped = [ch for ch, its in by_chapter.items() if all(it.correct[choose(it, name)] for it in its)]
        if skipped:
            found.append(Cue(bank, f"placement-{name}", f"choosing {STRATEGIES[name][0]} answers every question on "
                             f"chapter{'s' * (len(skipped) > 1)} {', '.join(skipped)} right, so the check would "
                             "recommend skipping it: give each chapter two questions whose keys differ in position "
                             "and length rank"))
    return found


def lint(bank: Bank) -> list[Cue]:
    """Every cue found in *bank*; empty when a test-wise learner gains nothing over guessing."""
    return _question_cues(bank) + _bank_cues(bank) + _multiple_cues(bank) + _placement_cues(bank)
