"""Self-check helpers for exercises: each failure says what is wrong, not just "incorrect".

A check raises :class:`CheckFailed` (an ``AssertionError``, so nbgrader counts it as a failed test) with a
message aimed at the learner, or :class:`NotDoneYet` while the task is still untouched. On success it prints
one line starting with a tick.

The idioms every ``chNN`` module shares live here: ``require_*`` (the answer has the right type and shape),
:func:`close` (two numbers match, at a tolerance stated where it is used), :func:`diagnose` (name the known
mistake a wrong value comes from, from a table of mistakes), :func:`call_learner` (run the learner's function
and report its exceptions in their terms), :func:`require_prose` (a written justification of some substance)
and :func:`require_names` (a list of names, not one string).

Where things live: ``checks/chNN.py`` holds the checks and their tables of known mistakes; the learner's world
(simulators, toy services, data generators) is in ``coursekit/worlds/chNN.py``; the answer keys are in
``checks/_answers/chNN.py``, imported only inside the checks; chapter code that an exercise reuses is generated
into ``coursekit/exports/chNN.py`` from the chapter's cells tagged ``export``.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Callable, Iterable, Mapping
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


def require_whole(value: Any, name: str, hint: str) -> int:
    """Return *value* as an int, or fail: it counts whole things. *hint* follows "`name` is 2.5, but it "."""
    number = require_number(value, name)
    if not float(number).is_integer():
        raise CheckFailed(f"`{name}` is {number:g}, but it {hint}")
    return int(number)


def require_fraction(value: Any, name: str) -> float:
    """Return *value* as a number in [0, 1], or say why it is not a fraction (a percentage?)."""
    number = require_number(value, name)
    if 1 < number <= 100:
        raise CheckFailed(f"`{name}` is {number:g}: that looks like a percentage. Give it as a fraction between 0 and 1.")
    require(0 <= number <= 1, f"`{name}` is {number:g}, outside 0..1: a {name} is a fraction.")
    return number


# --------------------------------------------------------------------------------------------------
# Comparing numbers, and naming the mistake behind a wrong one
# --------------------------------------------------------------------------------------------------

def close(a: float, b: float, *, rel: float | None = None, abs: float | None = None) -> bool:  # noqa: A002
    """True if *a* is within *rel* (relative, to the larger of the two) or within *abs* (absolute) of *b*.

    Every call states its tolerance: ``close(x, right, rel=0.005)`` for answers rounded to a few digits,
    ``close(x, right, abs=1e-9)`` for sums of exact halves. Two non-finite values (inf or NaN) count as close:
    both are what a division by zero gives, whichever way it went.
    """
    if rel is None and abs is None:
        raise TypeError("close() needs a tolerance: rel=..., abs=..., or both")
    a, b = float(a), float(b)
    if not (math.isfinite(a) and math.isfinite(b)):
        return not math.isfinite(a) and not math.isfinite(b)
    return math.isclose(a, b, rel_tol=rel or 0.0, abs_tol=abs or 0.0)


def within(*, rel: float | None = None, abs: float | None = None) -> Callable[[float, float], bool]:  # noqa: A002
    """:func:`close` with its tolerance fixed, to hand to :func:`diagnose`: ``within(rel=0.005)``."""
    close(0.0, 0.0, rel=rel, abs=abs)  # the same "needs a tolerance" error, at the call that forgot it
    return lambda a, b: close(a, b, rel=rel, abs=abs)


def diagnose(value: float, name: str, right: float, mistakes: Iterable[tuple[Any, str]], *,
             close: Callable[[float, float], bool], ratio: bool = False,
             template: str = "`{name}` = {value:g}: {message}") -> None:
    """Fail with the message of the first known mistake that explains *value*; return quietly if none does.

    *mistakes* is a table of the usual mistakes, ``(result, message)``: *result* is what that mistake gives here
    (with ``ratio=True``, the factor it is off by, ``value / right``; ``None`` if it does not apply). A mistake
    whose result is the right answer itself explains nothing, so it is skipped. *close(a, b)* says whether the
    learner's value matches a result (:func:`within`, or ``operator.eq`` for counts). The failure reads
    *template*, formatted with ``name``, ``value``, ``right`` and ``message``.
    """
    observed, truth = (value / right, 1.0) if ratio else (value, right)
    for result, message in mistakes:
        if result is None or close(result, truth):
            continue
        if close(observed, result):
            raise CheckFailed(template.format(name=name, value=value, right=right, message=message))


# --------------------------------------------------------------------------------------------------
# Running the learner's code
# --------------------------------------------------------------------------------------------------

def call_learner(fn: Callable, *args: Any, name: str, signature: str, where: str = "",
                 hints: Mapping[type[BaseException], str] | None = None,
                 let_through: tuple[type[BaseException], ...] = (),
                 diagnose_first: Callable[[BaseException], None] | None = None, **kwargs: Any) -> Any:
    """Call the learner's *fn* and return what it returns; report its exceptions in the learner's terms.

    - ``NotImplementedError`` (the exercise's stub): :class:`NotDoneYet`;
    - ``TypeError``: the call did not fit; keep *signature* (as the task gives it, e.g. ``psi(expected, actual,
      bins=10, eps=1e-4)``);
    - anything else: what it raised;

    either followed by the hint in *hints* for that type of exception, if there is one.

    *where* names the case (``"on a shifted week"``). Exceptions in *let_through* are the check's business
    (a ``ValueError`` the task asks for, say) and propagate unchanged. *diagnose_first(error)* runs before the
    generic report, so that a check can first name the mistake the error comes from.
    """
    where = f" {where}" if where else ""
    try:
        return fn(*args, **kwargs)
    except let_through:
        raise
    except NotImplementedError:
        raise NotDoneYet(f"Not done yet: `{name}` still raises NotImplementedError. Write its body, run the cell, "
                         "then run this check.") from None
    except Exception as error:  # noqa: BLE001 - report the learner's own error in their terms
        if diagnose_first is not None:
            diagnose_first(error)
        hint = next((text for kind, text in (hints or {}).items() if isinstance(error, kind)), "")
        if isinstance(error, TypeError):
            raise CheckFailed(f"Calling `{name}`{where} failed with TypeError: {error}. Keep the signature "
                              f"`{signature}`.{' ' + hint if hint else ''}") from None
        said = f"{str(error).rstrip('.')}. {hint}" if hint else str(error)
        raise CheckFailed(f"`{name}` raised {type(error).__name__}{where}: {said}") from None


def require_raises(fn: Callable, *args: Any, name: str, given: str, error: type[Exception] = ValueError,
                   wrong_kind: str, returned: str, **kwargs: Any) -> None:
    """Fail unless the learner's *fn*, called on the bad input described by *given*, raises *error*.

    *wrong_kind* follows "raised KeyError." (say which exception to raise, and why); *returned* follows "returned
    0.0 instead of raising ValueError" (why a value is worse than an error here). NumPy's warnings on bad input
    are silenced: they are not the answer.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            result = fn(*args, **kwargs)
    except error:
        return
    except Exception as exc:  # noqa: BLE001 - any other exception is the wrong kind
        raise CheckFailed(f"Given {given}, {name} raised {type(exc).__name__}. {wrong_kind}") from None
    raise CheckFailed(f"Given {given}, {name} returned {result!r} instead of raising {error.__name__}{returned}")


def require_function(value: Any, name: str, *, shape: str = "", reference: Callable | None = None) -> None:
    """Fail unless the learner's *value* is a function: not None (not done yet), callable, and not the course's
    *reference* (the answer key) itself. *shape* shows how it is called, e.g. ``"(model, X, feature, delta) -> int"``.
    """
    require_done(value, name)
    shown = f" `{shape}`" if shape else ""
    require(callable(value), f"`{name}` should be a function{shown}, but it is a {type(value).__name__}.")
    if reference is not None:
        require_own_work(value, name, reference)


def require_own_work(fn: Any, name: str, reference: Callable) -> None:
    """Fail if the learner hands in the course's own answer key instead of their function."""
    if fn is reference or getattr(fn, "__wrapped__", None) is reference or getattr(fn, "func", None) is reference:
        raise CheckFailed(f"`{name}` is {reference.__module__}.{reference.__name__}: that is the course's reference "
                          "implementation; write your own.")


# --------------------------------------------------------------------------------------------------
# Answers that are text or lists of names
# --------------------------------------------------------------------------------------------------

def require_prose(text: Any, name: str, min_words: int, hint: str, *, mention: Iterable[str] = (),
                  mention_hint: str = "") -> str:
    """Return a written answer (lower-cased) of at least *min_words* words, or say what it lacks.

    *hint* says what to write (``"write 2-3 sentences (at least 15 words): ..."``); it follows "has N words; ".
    With *mention*, the text must also contain one of those terms (lower case, substrings count), or the check
    fails with *mention_hint*.
    """
    require_done(text, name)
    require(isinstance(text, str), f"`{name}` should be text, but it is a {type(text).__name__}.")
    subject = f"Your {name}" if name.isidentifier() else name
    count = len(prose_words(text))
    require(count >= min_words, f"{subject} has {count} words; {hint}")
    lower = text.lower()
    terms = tuple(mention)
    require(not terms or any(term in lower for term in terms), mention_hint)
    return lower


def require_names(value: Any, where: str, *, example: str = '"name"', kind: str = "names", hint: str = "") -> list[str]:
    """Return *value* as a list of strings, or say why it is not one (one string, not a list; not strings).

    *where* names the value in the message (```trust```, ``design['train']['cache_key']``), *kind* what the
    strings are (``"type names"``), *example* one of them as the learner would write it.
    """
    if isinstance(value, (str, bytes)):
        raise CheckFailed(f"{where} should be a list of {kind}, like [{example}], not one string.")
    try:
        items = list(value)
    except TypeError:
        raise CheckFailed(f"{where} should be a list of {kind}, but it is a {type(value).__name__}.") from None
    bad = [item for item in items if not isinstance(item, str)]
    if bad:
        raise CheckFailed(f"{where} should hold {kind} as strings (e.g. {example}), but it holds "
                          f"{type(bad[0]).__name__} values.{' ' + hint if hint else ''}")
    return items
