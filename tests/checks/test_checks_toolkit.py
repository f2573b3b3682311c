"""The idioms every check module shares (coursekit/checks/__init__.py), on their own."""

from __future__ import annotations

import math
import operator

import pytest

from coursekit.checks import (
    CheckFailed,
    NotDoneYet,
    call_learner,
    close,
    diagnose,
    require_names,
    require_own_work,
    require_prose,
    require_raises,
    require_whole,
    within,
)
from tests.support.checks import fails


def test_close_needs_a_stated_tolerance():
    with pytest.raises(TypeError, match="needs a tolerance"):
        close(1.0, 1.0)
    with pytest.raises(TypeError, match="needs a tolerance"):
        within()


@pytest.mark.parametrize("a, b, tolerance, expected", [
    (1.004, 1.0, {"abs": 0.005}, True),
    (1.006, 1.0, {"abs": 0.005}, False),
    (100.4, 100.0, {"rel": 0.005}, True),
    (100.6, 100.0, {"rel": 0.005}, False),
    (1e-10, 0.0, {"rel": 0.005}, False),
    (1e-10, 0.0, {"rel": 0.005, "abs": 1e-9}, True),
    (math.inf, math.nan, {"rel": 0.01}, True),        # two divisions by zero
    (math.inf, 1e300, {"rel": 0.01}, False),
])
def test_close(a, b, tolerance, expected):
    assert close(a, b, **tolerance) is expected
    assert within(**tolerance)(a, b) is expected


def test_diagnose_names_the_first_mistake_that_explains_the_value():
    mistakes = [(None, "does not apply here"), (10.0, "the right answer itself: explains nothing"),
                (20.0, "twice too big"), (20.0, "never reached")]
    fails(diagnose, 20.05, "x", 10.0, mistakes, close=within(rel=0.01), match=r"^`x` = 20.05: twice too big$")
    assert diagnose(30.0, "x", 10.0, mistakes, close=within(rel=0.01)) is None
    fails(diagnose, 80.0, "x", 10.0, [(8, "bits")], close=within(rel=0.01), ratio=True, match="bits")
    fails(diagnose, 7, "n", 6, [(6, "right"), (7, "rounded up")], close=operator.eq,
          template="{name} = {value} (not {right}): {message}", match=r"^n = 7 \(not 6\): rounded up$")


def test_call_learner_reports_in_the_learners_terms():
    def stub(x):
        raise NotImplementedError

    with pytest.raises(NotDoneYet, match="`f` still raises NotImplementedError"):
        call_learner(stub, 1, name="f", signature="f(x)")
    fails(call_learner, lambda: 0, 1, name="f", signature="f(x)", match=r"Keep the signature `f\(x\)`")
    fails(call_learner, lambda x: {}[x], 1, name="f", signature="f(x)", where="on case 1",
          hints={KeyError: "The dict has no keys."}, match=r"^`f` raised KeyError on case 1: 1. The dict has no keys.$")
    with pytest.raises(ValueError):
        call_learner(lambda x: int("x"), 1, name="f", signature="f(x)", let_through=(ValueError,))
    seen = []
    fails(call_learner, lambda x: 1 / 0, 1, name="f", signature="f(x)", diagnose_first=seen.append,
          match="ZeroDivisionError")
    assert isinstance(seen[0], ZeroDivisionError)
    assert call_learner(lambda x, y=0: x + y, 1, y=2, name="f", signature="f(x, y=0)") == 3


def test_require_own_work_rejects_the_answer_key():
    def key(x):
        return x

    fails(require_own_work, key, "f", key, match="the course's reference implementation; write your own")
    assert require_own_work(lambda x: x, "f", key) is None


def test_require_prose():
    hint = "write two sentences (at least 5 words)."
    with pytest.raises(NotDoneYet):
        require_prose(None, "justification", 5, hint)
    fails(require_prose, 42, "justification", 5, hint, match="`justification` should be text, but it is a int")
    fails(require_prose, "Too short.", "justification", 5, hint, match="^Your justification has 2 words; write two")
    fails(require_prose, "Too short.", "reasons['a']", 5, hint, match=r"^reasons\['a'\] has 2 words")
    fails(require_prose, "Long enough but it says nothing.", "justification", 5, hint, mention=("recall",),
          mention_hint="Mention recall.", match="^Mention recall.$")
    assert require_prose("It keeps Recall high enough.", "justification", 5, hint, mention=("recall",)) == \
        "it keeps recall high enough."


def test_require_names():
    assert require_names(("a", "b"), "`trust`") == ["a", "b"]
    fails(require_names, "a.b", "`trust`", example='"numpy.dtype"', kind="type names",
          match=r'`trust` should be a list of type names, like \["numpy.dtype"\], not one string')
    fails(require_names, 3, "`trust`", match="should be a list of names, but it is a int")
    fails(require_names, [1], "`trust`", hint="Write them as printed.",
          match="holds int values. Write them as printed.")


def test_require_raises():
    def strict(x):
        if x < 0:
            raise ValueError("negative")
        return x

    assert require_raises(strict, -1, name="f", given="a negative x", wrong_kind="", returned=".") is None
    fails(require_raises, strict, 1, name="f", given="x = 1", wrong_kind="Raise ValueError.", returned=": bad.",
          match=r"^Given x = 1, f returned 1 instead of raising ValueError: bad.$")
    fails(require_raises, lambda x: [][x], 1, name="f", given="x = 1", wrong_kind="Raise ValueError.", returned=".",
          match=r"^Given x = 1, f raised IndexError. Raise ValueError.$")


def test_require_whole():
    assert require_whole(3.0, "n", "counts things.") == 3
    fails(require_whole, 2.5, "n", "counts things.", match=r"^`n` is 2.5, but it counts things.$")
    with pytest.raises(CheckFailed, match="should be a number"):
        require_whole("3", "n", "counts things.")
