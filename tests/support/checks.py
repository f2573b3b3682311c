"""What every ``tests/checks/test_checks_NN.py`` asks of a self-check: it fails with a diagnosis, or passes with a tick."""

from __future__ import annotations

import pytest

from coursekit.checks import CheckFailed, NotDoneYet


def fails(check, *args, match: str, **kwargs) -> str:
    """Run *check*; it must fail with CheckFailed (not NotDoneYet) and a message that *match* (a regex) finds."""
    with pytest.raises(CheckFailed, match=match) as info:
        check(*args, **kwargs)
    assert not isinstance(info.value, NotDoneYet), f"expected a diagnosis, got 'not done yet': {info.value}"
    return str(info.value)


def fails_with(check, *args, match: str, exc: type[CheckFailed] = CheckFailed, **kwargs) -> str:
    """Run *check*; it must raise *exc* with *match* in its message (plain text, any case)."""
    with pytest.raises(exc) as info:
        check(*args, **kwargs)
    assert match.lower() in str(info.value).lower(), f"message was: {info.value}"
    return str(info.value)


def passes(check, capsys, *args, **kwargs) -> str:
    """Run *check*; it must print a line starting with a tick. Returns what it printed."""
    check(*args, **kwargs)
    out = capsys.readouterr().out
    assert out.startswith("✔"), out
    return out
