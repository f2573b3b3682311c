"""The pages the built book must have, known before it is built (for parametrising the browser tests)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
QUIZ_CALL = re.compile(r"""\bquiz\(\s*\\?["']\d\d""")


def toc_pages() -> list[str]:
    """Every page the toc lists, plus the pages Sphinx adds, as paths relative to the HTML root."""
    stems = re.findall(r"(?:root|file): (\S+)", (ROOT / "_toc.yml").read_text(encoding="utf-8"))
    return [f"{stem}.html" for stem in stems] + ["genindex.html", "search.html"]


def quiz_pages() -> list[str]:
    """Pages whose notebook shows a quiz."""
    out = []
    for page in toc_pages():
        notebook = ROOT / page.replace(".html", ".ipynb")
        if notebook.exists() and QUIZ_CALL.search(notebook.read_text(encoding="utf-8")):
            out.append(page)
    return out
