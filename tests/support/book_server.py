"""Serve the built book on 127.0.0.1 for the browser tests, and the page helpers they share.

The browser is pytest-playwright's (its ``browser``, ``context`` and ``page`` fixtures), launched once per
test session and worker with the options of ``browser_type_launch_args`` in tests/conftest.py.
"""

from __future__ import annotations

import functools
import http.server
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# Debian's chromium (.ci/run installs it), not a browser Playwright downloads; elsewhere point
# COURSEKIT_CHROMIUM at a Chromium or Chrome binary.
CHROMIUM = os.environ.get("COURSEKIT_CHROMIUM", "/usr/bin/chromium")
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


def open_page(page, url: str, wait_until: str = "networkidle"):
    """*page* (pytest-playwright's, in a fresh context) at *url*, recording every request and every console or
    page error in ``page.requests`` and ``page.errors``."""
    page.requests, page.errors = [], []
    page.on("request", lambda r: page.requests.append(r.url))
    page.on("console", lambda m: page.errors.append(f"{m.text} {MISSING[-1:]}") if m.type == "error" else None)
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.goto(url, wait_until=wait_until)
    return page


# The theme's colours change with a CSS transition: switched off, a theme switch shows at once.
NO_TRANSITIONS = "*, *::before, *::after { transition: none !important; }"


def set_theme(page, mode: str) -> None:
    """Switch the book's theme to *mode* ("light" or "dark") and wait until its colours are in place."""
    page.add_style_tag(content=NO_TRANSITIONS)
    page.evaluate("(mode) => { document.documentElement.dataset.theme = mode; }", mode)
    page.wait_for_function("""(mode) => document.documentElement.dataset.theme === mode
        && !document.getAnimations().some((a) => a instanceof CSSTransition)""", arg=mode)


PHONE = {"width": 390, "height": 844}  # a phone's viewport, in CSS pixels
# (a test opens its page at this size with @pytest.mark.browser_context_args(viewport=PHONE))

# What sticks out past the right edge of the viewport and is not clipped by a scrolling (or overflow-hidden)
# box or inside a fixed one (the theme's off-canvas drawers): the elements that make the page scroll
# sideways, innermost first, each named by tag, class, text and the section it is in.
SIDEWAYS = """async () => {
  await document.fonts.ready;
  const width = document.documentElement.clientWidth;
  const contained = (el) => {
    for (let a = el; a && a !== document.body; a = a.parentElement) {
      const cs = getComputedStyle(a);
      if (cs.position === "fixed" || (a !== el && cs.overflowX !== "visible")) return true;
    }
    return false;
  };
  const sticksOut = (el) => el.getBoundingClientRect().right > width + 0.5;
  const offenders = [];
  for (const el of document.body.querySelectorAll("*")) {
    if (!sticksOut(el) || el.getBoundingClientRect().width === 0 || contained(el)) continue;
    if ([...el.children].some(sticksOut)) continue;  // a child is the cause: name the child
    const section = el.closest("section[id]");
    offenders.push(`<${el.tagName.toLowerCase()} class="${el.getAttribute("class") || ""}"> to ` +
      `${Math.round(el.getBoundingClientRect().right)} px: ` +
      JSON.stringify((el.textContent || "").replace(/\\s+/g, " ").trim().slice(0, 70)) + (section ? ` in #${section.id}` : ""));
  }
  return {width, scrollWidth: document.documentElement.scrollWidth, offenders: offenders.slice(0, 8)};
}"""

# Every box in the article that scrolls sideways on its own, with its scroll sign (the fade of
# _static/narrow-screens.css) at the start and, after scrolling it to the end, at the end.
SCROLL_SIGNS = """async () => {
  const frame = () => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
  const boxes = [...document.querySelectorAll(".bd-article *")].filter((el) => {
    const x = getComputedStyle(el).overflowX;
    return (x === "auto" || x === "scroll") && el.scrollWidth > el.clientWidth + 1;
  });
  const fade = (el) => ["--ck-fade-start", "--ck-fade-end"].map((p) => parseFloat(getComputedStyle(el).getPropertyValue(p)) || 0);
  await frame();
  const before = boxes.map(fade);
  for (const el of boxes) el.scrollLeft = el.scrollWidth;
  await frame();
  const after = boxes.map(fade);
  for (const el of boxes) el.scrollLeft = 0;
  return boxes.map((el, i) => ({box: `<${el.tagName.toLowerCase()} class="${el.getAttribute("class") || ""}">`,
                                 section: (el.closest("section[id]") || {}).id || "", before: before[i], after: after[i]}));
}"""

