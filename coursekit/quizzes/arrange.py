"""The order in which a question's options are shown: a deterministic shuffle, fair across the bank.

Authors write options in any order (the key first is fine). What the learner sees is decided here, from
the question ids alone, so the live widget, the static book, nbval and recorded answers always agree:

* the correct option of each single-choice question goes to the position that has held the fewest keys
  so far, counted first among the questions that are answered together (a placement bank's questions on
  one chapter; otherwise one quiz point), then over the whole bank; ties are broken by a hash of the
  question id, so there is no visible cycle;
* the other options (and all options of a multiple-choice question) are ordered by a hash of the
  question id and the option's place in the bank.

Recorded answers use the option's place in the bank (``Option`` index), never its shown position, so a
change of arrangement never changes what an answer means.
"""

from __future__ import annotations

import hashlib
from collections import Counter

from coursekit.quizzes.bank import Bank, Question


def _rank(*parts: object) -> str:
    """A stable pseudo-random sort key (sha256, the same on every platform and Python version)."""
    return hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()


def group_of(bank: Bank, q: Question) -> str:
    """The questions a learner answers together: one chapter's questions in a placement bank (its
    objective's chapter number), otherwise one quiz point."""
    return q.objective.split(".")[0] if bank.placement else q.quiz


def key_positions(bank: Bank) -> dict[str, int]:
    """For each single-choice question of *bank*, the shown position of its correct option."""
    in_bank: Counter[int] = Counter()
    in_group: dict[str, Counter[int]] = {}
    out: dict[str, int] = {}
    for q in bank.questions:
        if q.type != "single":
            continue
        group = in_group.setdefault(group_of(bank, q), Counter())
        out[q.id] = min(range(len(q.options)), key=lambda p: (group[p], in_bank[p], _rank(q.id, "key", p)))
        group[out[q.id]] += 1
        in_bank[out[q.id]] += 1
    return out


def shown_order(q: Question, key_position: int | None = None) -> tuple[int, ...]:
    """Bank indices of *q*'s options in the order they are shown."""
    by_hash = sorted(range(len(q.options)), key=lambda i: _rank(q.id, "option", i))
    if q.type != "single" or key_position is None:
        return tuple(by_hash)
    key = next(i for i, o in enumerate(q.options) if o.correct)
    rest = [i for i in by_hash if i != key]
    return tuple(rest[:key_position] + [key] + rest[key_position:])


def arrangement(bank: Bank) -> dict[str, tuple[int, ...]]:
    """Shown order (bank indices) of every choice question of *bank*, by question id."""
    keys = key_positions(bank)
    return {q.id: shown_order(q, keys.get(q.id)) for q in bank.questions if q.type != "numeric"}

