"""The link checker's own parts, against a server on 127.0.0.1 (the real check needs the network: make linkcheck)."""

from __future__ import annotations

import http.server
import threading

import pytest

from coursekit.linkcheck import check_urls, urls_outside_the_book


class Handler(http.server.BaseHTTPRequestHandler):
    def do_HEAD(self):
        if self.path == "/no-head":
            self.send_response(405)
        else:
            self.send_response(200 if self.path in ("/ok", "/no-head") else 404)
        self.end_headers()

    def do_GET(self):
        self.send_response(200 if self.path in ("/ok", "/no-head") else 404)
        self.end_headers()

    def log_message(self, *args):  # quiet
        pass


@pytest.fixture
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_broken_links_are_named_with_where_they_appear(server):
    urls = {f"{server}/ok": ["quizzes/01.yml"], f"{server}/no-head": ["claims.yml"], f"{server}/gone": ["claims.yml"]}
    assert check_urls(urls) == [f"HTTP 404: {server}/gone (in claims.yml)"]


def test_links_of_banks_and_claims_are_found(root):
    found = urls_outside_the_book(root)
    assert found and all(url.startswith(("http://", "https://")) for url in found)
    assert not [u for u in found if u.endswith((".", ",", ")"))]


def test_help_only_prints_usage(capsys):
    """`--help` must not start a link check (which needs the network and builds the book)."""
    from coursekit import linkcheck

    with pytest.raises(SystemExit) as done:
        linkcheck.main(["--help"])
    assert done.value.code == 0 and "usage: python -m coursekit.linkcheck" in capsys.readouterr().out
