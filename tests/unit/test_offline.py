"""The suite runs with the network cut (`make test` runs pytest through coursekit.offline)."""

from __future__ import annotations

import os

import pytest

from coursekit.offline import only_loopback


@pytest.mark.skipif(os.environ.get("COURSEKIT_OFFLINE") != "1", reason="not started through coursekit.offline")
def test_only_loopback_is_reachable():
    assert only_loopback(), "a network interface other than lo is visible: the notebooks could reach the network"


@pytest.mark.skipif(os.environ.get("COURSEKIT_REQUIRE_OFFLINE") != "1", reason="COURSEKIT_REQUIRE_OFFLINE=1 not set (CI sets it)")
def test_ci_runs_offline():
    assert os.environ.get("COURSEKIT_OFFLINE") == "1", "CI must run the notebooks with the network cut"
