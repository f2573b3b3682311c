"""Run a command with the network cut: a fresh network namespace holding only loopback.

``python -m coursekit.offline CMD…`` re-runs itself under ``unshare --net`` (with ``--map-root-user``
when not root), brings ``lo`` up so 127.0.0.1 servers still work, marks the environment with
``COURSEKIT_OFFLINE=1`` and execs CMD. Any attempt to reach another host then fails at once. Where
namespaces are unavailable it runs CMD as is and says so, unless ``COURSEKIT_REQUIRE_OFFLINE=1``
(set by CI), which makes that an error.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

INSIDE = "--inside-namespace"


def unshare_command() -> list[str] | None:
    """The ``unshare`` prefix that works here, or None."""
    if not shutil.which("unshare") or not shutil.which("ip"):
        return None
    prefix = ["unshare", "--net"] + ([] if os.geteuid() == 0 else ["--map-root-user"])
    ok = subprocess.run([*prefix, "true"], capture_output=True).returncode == 0
    return prefix if ok else None


def only_loopback() -> bool:
    """True if this process sees no network interface but ``lo`` (read from /proc, no traffic sent)."""
    lines = Path("/proc/net/dev").read_text().splitlines()[2:]
    return [line.split(":")[0].strip() for line in lines] == ["lo"]


def main(argv: list[str]) -> int:
    if argv[:1] == [INSIDE]:
        subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
        os.environ["COURSEKIT_OFFLINE"] = "1"
        os.execvp(argv[1], argv[1:])
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    prefix = unshare_command()
    if prefix is None:
        if os.environ.get("COURSEKIT_REQUIRE_OFFLINE") == "1":
            print("coursekit.offline: cannot create a network namespace (unshare/ip missing or not permitted)", file=sys.stderr)
            return 1
        print("coursekit.offline: network namespaces unavailable here; running WITH the network", file=sys.stderr)
        os.execvp(argv[0], argv)
    os.execvp(prefix[0], [*prefix, sys.executable, "-m", "coursekit.offline", INSIDE, *argv])
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
