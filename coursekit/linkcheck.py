"""Check every external link of the course: the book's pages (Sphinx's linkcheck builder, through
jupyter-book) and the links Sphinx cannot see: quiz banks (rendered by the quiz script) and the sources of
claims.yml. Needs the network, so it is its own command (`make linkcheck`), never part of the offline tests.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from coursekit.layout import course_root

URL = re.compile(r"https?://[^\s)<>\"'`\]]+")
AGENT = "Mozilla/5.0 (compatible; coursekit-linkcheck; +https://github.com/mlops-for-devops/mlops-course)"


def urls_outside_the_book(root: Path | None = None) -> dict[str, list[str]]:
    """URL -> the files it appears in, for the quiz banks and claims.yml."""
    root = root or course_root()
    found: dict[str, list[str]] = {}
    for file in [*sorted((root / "quizzes").glob("*.yml")), root / "claims.yml"]:
        if file.exists():
            for url in URL.findall(file.read_text(encoding="utf-8")):
                found.setdefault(url.rstrip(".,;:"), []).append(file.relative_to(root).as_posix())
    return found


def status(url: str, timeout: float = 20) -> str:
    """'ok' or what went wrong, trying HEAD first and GET when a server refuses HEAD."""
    for method in ("HEAD", "GET"):
        request = urllib.request.Request(url, method=method, headers={"User-Agent": AGENT})
        try:
            with urllib.request.urlopen(request, timeout=timeout):
                return "ok"
        except urllib.error.HTTPError as exc:
            if method == "HEAD" and exc.code in (403, 405, 501):
                continue
            return f"HTTP {exc.code}"
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            return f"unreachable ({getattr(exc, 'reason', exc)})"
    return "unreachable"


def check_urls(urls: dict[str, list[str]], workers: int = 8) -> list[str]:
    """One line per broken URL, naming where it appears."""
    with ThreadPoolExecutor(workers) as pool:
        results = dict(zip(urls, pool.map(status, urls)))
    return [f"{result}: {url} (in {', '.join(sorted(set(urls[url])))})" for url, result in results.items() if result != "ok"]


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(prog="python -m coursekit.linkcheck", description=__doc__.split("\n\n")[0]).parse_args(argv)
    root = course_root()
    with tempfile.TemporaryDirectory() as out:
        book = subprocess.call([str(Path(sys.executable).parent / "jupyter-book"), "build", str(root), "--builder",
                                "linkcheck", "--path-output", out], cwd=root)
    broken = check_urls(urls_outside_the_book(root))
    for line in broken:
        print(line)
    print(f"book pages: {'ok' if book == 0 else 'broken links above (Sphinx linkcheck)'}; "
          f"banks and claims.yml: {len(broken) or 'no'} broken link{'s' * (len(broken) != 1)}")
    return 1 if book or broken else 0


if __name__ == "__main__":
    sys.exit(main())
