"""Self-check helpers for exercises: each failure says what is wrong, not just "incorrect".

A check raises :class:`CheckFailed` (an ``AssertionError``, so nbgrader counts it as a failed test)
with a message aimed at the learner, or :class:`NotDoneYet` while the task is still untouched.
On success it prints one line starting with a tick.
"""

from __future__ import annotations

import math
import re
from typing import Any

_WORD = re.compile(r"[^\W_]+(?:[.'’-][^\W_]+)*")


class CheckFailed(AssertionError):
    """The learner's answer is wrong; the message says how."""


class NotDoneYet(CheckFailed):
    """The task has not been attempted yet (its answer is still ``None``)."""


def passed(message: str) -> None:
    """Report a passed check."""
    print(f"✔ {message}")


def require(condition: bool, message: str) -> None:
    """Fail with *message* unless *condition* holds."""
    if not condition:
        raise CheckFailed(message)


def prose_words(text: str) -> list[str]:
    """The words of a learner's prose answer: "don't", "p99" and "1.5" count as one word each; punctuation does not."""
    return _WORD.findall(text)


def require_done(value: Any, name: str) -> None:
    """Fail with "not done yet" while *value* is still ``None``."""
    if value is None:
        raise NotDoneYet(f"Not done yet: `{name}` is still None. Fill in the cell above, run it, then run this check.")


def require_number(value: Any, name: str) -> float:
    """Return *value* as a float, or fail saying what type it is instead."""
    require_done(value, name)
    if isinstance(value, bool) or not isinstance(value, (int, float)) and not hasattr(value, "__float__"):
        raise CheckFailed(f"`{name}` should be a number, but it is a {type(value).__name__}: {value!r}.")
    try:
        number = float(value)
    except (TypeError, ValueError):  # e.g. a NumPy array with more than one element
        shape = getattr(value, "shape", None)
        what = f"{type(value).__name__} of shape {shape}" if shape is not None else type(value).__name__
        raise CheckFailed(f"`{name}` should be a single number, but it is a {what}. Pick the one value you mean.") from None
    if math.isnan(number):
        raise CheckFailed(f"`{name}` is NaN: something upstream produced no value (an empty array?).")
    return number


def require_fraction(value: Any, name: str) -> float:
    """Return *value* as a number in [0, 1], or say why it is not a fraction (a percentage?)."""
    number = require_number(value, name)
    if 1 < number <= 100:
        raise CheckFailed(f"`{name}` is {number:g}: that looks like a percentage. Give it as a fraction between 0 and 1.")
    require(0 <= number <= 1, f"`{name}` is {number:g}, outside 0..1: a {name} is a fraction.")
    return number
