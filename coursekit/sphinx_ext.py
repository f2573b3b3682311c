"""Sphinx extension: ship the quiz renderer with the book and load it only on pages that show a quiz.

Files under the book's own ``_static/`` are added to every page, so the assets live in this
package instead and are linked per page from the ``html-page-context`` event. The
``coursekit-progress`` directive writes the "Your progress" table's data (chapters from path.yml,
question ids from the banks) into its page; progress-page.js fills it from the browser's storage.
"""

from __future__ import annotations

import html
import posixpath
import shutil
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from coursekit.paths import QUIZ_ASSETS as ASSETS

MARKER = "data-ck-quiz="
PROGRESS_MARKER = "data-ck-progress="
ASSET_FILES = ("quiz.js", "quiz-static.js", "quiz.css", "progress.js", "progress-page.js")
logger = logging.getLogger(__name__)


def _quizzes_from_banks(app: Sphinx, doctree: nodes.document) -> None:
    """Replace each quiz reference a notebook stores (bank and selection) with the quiz read from its bank
    now, so a bank edit needs a book build, not a re-executed chapter. The page is rebuilt when the bank
    changes."""
    from coursekit.quizzes.bank import BankError
    from coursekit.quizzes.static_html import REFERENCE, parse_selection
    from coursekit.quizzes.widget import quiz_content

    def render(match) -> str:
        try:
            section, ids = parse_selection(html.unescape(match["select"]))
            content = quiz_content(html.unescape(match["bank"]), section, ids)
        except (BankError, KeyError, ValueError, FileNotFoundError) as exc:
            logger.warning("quiz %s: %s", match[0][:120], exc, location=node)
            return match[0]
        for source in content.sources:
            app.env.note_dependency(str(source))
        return content.static_html()

    for node in list(doctree.findall(nodes.raw)):
        if node.get("format") == "html" and "ck-quiz-ref" in node.astext():
            node.replace_self(nodes.raw("", REFERENCE.sub(render, node.astext()), format="html"))


def _add_quiz_assets(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any) -> None:
    if app.builder.format == "html" and MARKER in context.get("body", ""):
        app.add_css_file("coursekit/quiz.css")
        app.add_js_file("coursekit/quiz-static.js", type="module")
    elif app.builder.format == "html" and PROGRESS_MARKER in context.get("body", ""):
        app.add_css_file("coursekit/quiz.css")
        app.add_js_file("coursekit/progress-page.js", type="module")


class ProgressDirective(SphinxDirective):
    """``{coursekit-progress}``: the mount point and data of the "Your progress" table."""

    def run(self) -> list[nodes.Node]:
        from coursekit.path import load_path
        from coursekit.quizzes.static_html import script_json

        course = load_path()
        for name in ("path.yml", "_toc.yml", *(f"quizzes/{c.stem}.yml" for c in course.chapters)):
            self.env.note_dependency(str(course.path.parent / name))  # rebuild this page when they change
        here = posixpath.dirname(self.env.docname)
        placement = course.placement
        data = {"chapters": [
            {"stem": c.stem, "number": c.number, "title": c.title,
             "questions": [q.id for q in placement.questions] if placement and placement.chapter == c.stem else list(c.questions),
             "href": posixpath.relpath(f"chapters/{c.stem}.html", here or ".")}
            for c in course.chapters
        ]}
        html = (
            '<div class="ck-progress" data-ck-progress="1">\n'
            f'<script type="application/json" class="ck-progress-data">{script_json(data)}</script>\n'
            '<p class="ck-progress-fallback">Your quiz results and done marks are shown here when JavaScript is on.</p>\n'
            "</div>"
        )
        return [nodes.raw("", html, format="html")]


def _copy_assets(app: Sphinx, exception: Exception | None) -> None:
    # quiz-static.js imports ./quiz.js, so the three files sit together in _static/coursekit/.
    if exception is None and app.builder.format == "html":
        target = Path(app.outdir) / "_static" / "coursekit"
        target.mkdir(parents=True, exist_ok=True)
        for name in ASSET_FILES:
            shutil.copyfile(ASSETS / name, target / name)


TOGGLE = '<summary><span class="toctree-toggle" role="presentation">'
LABELLED_TOGGLE = '<summary aria-label="Show or hide the pages under this entry"><span class="toctree-toggle" role="presentation">'


def _label_toc_toggles(app: Sphinx, exception: Exception | None) -> None:
    """The theme's sidebar toggles are icon-only ``<summary>`` elements, which screen readers announce
    without a name (axe-core: summary-name, serious). Give each one an accessible name."""
    if exception is not None or app.builder.format != "html":
        return
    for page in Path(app.outdir).rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        if TOGGLE in text:
            page.write_text(text.replace(TOGGLE, LABELLED_TOGGLE), encoding="utf-8")


def _drop_thebe(app: Sphinx) -> None:
    """Jupyter Book 1 always loads sphinx-thebe, which declares its script twice (a console error) and
    names a CDN. This book does not use Thebe (``launch_buttons.thebe: false``), so unhook it."""
    if app.config.html_theme_options.get("launch_buttons", {}).get("thebe"):
        return
    for event in ("env-before-read-docs", "doctree-resolved"):
        for listener in list(app.events.listeners.get(event, [])):
            if getattr(listener.handler, "__module__", "").startswith("sphinx_thebe"):
                app.disconnect(listener.id)


def _glossary_terms_as_link_targets(app: Sphinx, doctree: nodes.document) -> None:
    """Let a plain Markdown link reach a glossary term: ``[feature](../glossary.md#term-feature)``.

    MyST resolves a link to ``page.md#id`` only when ``id`` is one of that page's heading anchors, and
    warns (an error under ``-W``) otherwise. Registering each term's id beside those anchors makes the
    link resolve, and a link to a term that does not exist still fails the build. A plain link, unlike
    the ``{term}`` role, also reads well and works when the notebook is opened in Jupyter.
    """
    env = app.env
    for glossary in doctree.findall(addnodes.glossary):
        anchors = env.metadata[env.docname].setdefault("myst_slugs", {})
        for term in glossary.findall(nodes.term):
            for node_id in term["ids"]:
                anchors[node_id] = (term.line or 0, node_id, term.astext())


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("coursekit-progress", ProgressDirective)
    app.connect("builder-inited", _drop_thebe)
    app.connect("doctree-read", _glossary_terms_as_link_targets)
    app.connect("doctree-read", _quizzes_from_banks)
    app.connect("build-finished", _copy_assets)
    app.connect("build-finished", _label_toc_toggles)
    app.connect("html-page-context", _add_quiz_assets)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
