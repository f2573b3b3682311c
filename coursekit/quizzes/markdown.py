"""Render bank Markdown to HTML safely: raw HTML in a bank is shown as text, never run."""

from __future__ import annotations

from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")


def to_html(text: str) -> str:
    """Markdown → HTML with raw HTML escaped and unsafe link schemes (``javascript:``…) refused."""
    return _md.render(text).strip()
