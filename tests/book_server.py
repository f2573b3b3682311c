"""Build the book once per test session and serve it on 127.0.0.1 for the browser tests."""

from __future__ import annotations

import functools
import http.server
import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-quic"]


MISSING: list[str] = []  # paths the test server answered 404 for (named in test failures)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - signature fixed by the base class
        pass

    def send_error(self, code, message=None, explain=None):
        if code == 404:
            MISSING.append(self.path)
        super().send_error(code, message, explain)


@contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve *directory* on a free loopback port; yield its base URL; stop the server on exit."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def all_pages(html_dir: Path) -> list[Path]:
    """Every HTML page of the built book (not the theme's static files)."""
    return sorted(p for p in html_dir.rglob("*.html") if "_static" not in p.parts)


@contextmanager
def chromium_and_site(html_dir: Path):
    """Headless Debian Chromium plus the built book served on 127.0.0.1: yields (base URL, browser)."""
    from playwright.sync_api import sync_playwright

    with serve(html_dir) as base, sync_playwright() as pw, tempfile.TemporaryDirectory() as home:
        # Chromium writes its profile and caches under $HOME/.config and $HOME/.cache: keep them out of the real home.
        env = {**os.environ, "HOME": home, "XDG_CONFIG_HOME": f"{home}/.config", "XDG_CACHE_HOME": f"{home}/.cache"}
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, env=env)
        try:
            yield base, browser
        finally:
            browser.close()


def open_page(browser, url: str):
    """A fresh page at *url*, recording every request and every console or page error."""
    page = browser.new_page()
    page.requests, page.errors = [], []
    page.on("request", lambda r: page.requests.append(r.url))
    page.on("console", lambda m: page.errors.append(f"{m.text} {MISSING[-1:]}") if m.type == "error" else None)
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.goto(url, wait_until="networkidle")
    return page
