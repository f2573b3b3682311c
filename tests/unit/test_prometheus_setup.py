"""Prometheus and promtool, which chapters 09 and 14 and exercise 09's checks run, are installed the same way
everywhere the course runs (CI, Binder, locally), and no Prometheus but the notebooks' own listens anywhere.

The tests that use promtool fail when it is missing (tests/checks/test_checks_09.py says how to install it); they never
skip, so a CI machine without it cannot pass by running less.
"""

from __future__ import annotations

import psutil

from coursekit.exports.ch09 import PROMETHEUS_INSTALL


def test_binder_installs_prometheus(root):
    packages = [line.partition("#")[0].strip() for line in (root / "binder" / "apt.txt").read_text().splitlines()]
    assert "prometheus" in packages


def test_ci_installs_prometheus_without_starting_its_system_service(root):
    ci = (root / ".ci" / "system-packages").read_text()
    assert "apt-get install -y -qq --no-install-recommends prometheus" in ci
    assert "policy-rc.d" in ci and "exit 101" in ci            # no service starts during the install
    assert "/etc/init.d/prometheus stop" in ci and "systemctl disable --now prometheus" in ci
    run = (root / ".ci" / "run").read_text()
    assert run.index(".ci/system-packages") < run.index("COURSEKIT_REQUIRE_OFFLINE=1 make test")


def test_readme_and_the_notebooks_say_how_to_install_it(root):
    readme = (root / "README.md").read_text()
    for text in ("apt-get install --no-install-recommends prometheus", "systemctl disable --now prometheus",
                 "binder/apt.txt", "!apt-get install -y --no-install-recommends prometheus"):
        assert text in readme, text
    for text in ("apt-get install --no-install-recommends prometheus", "systemctl disable --now prometheus",
                 "!apt-get install -y --no-install-recommends prometheus", "binder/apt.txt"):
        assert text in PROMETHEUS_INSTALL, text


def test_no_prometheus_listens_beyond_loopback():
    """The package's system service would listen on 0.0.0.0:9090; the notebooks' servers listen on 127.0.0.1."""
    for process in psutil.process_iter(["name"]):
        if process.info["name"] != "prometheus":
            continue
        try:
            sockets = process.net_connections(kind="inet")
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        exposed = [c.laddr for c in sockets if c.status == psutil.CONN_LISTEN and c.laddr.ip != "127.0.0.1"]
        assert not exposed, f"prometheus (pid {process.pid}) listens on {exposed}: stop its system service"
