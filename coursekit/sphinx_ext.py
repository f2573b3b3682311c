"""Sphinx extension: ship the quiz renderer with the book and load it only on pages that show a quiz.

Files under the book's own ``_static/`` are added to every page, so the assets live in this
package instead and are linked per page from the ``html-page-context`` event. The
``coursekit-progress`` directive writes the "Your progress" table's data (chapters from path.yml,
question ids from the banks) into its page; progress-page.js fills it from the browser's storage.
"""

from __future__ import annotations

import html
import posixpath
import re
import shutil
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from coursekit.layout import QUIZ_ASSETS as ASSETS

MARKER = "data-ck-quiz="
PROGRESS_MARKER = "data-ck-progress="
# The classic scripts the pages load, each with its modules in import order (dependencies first).
BUNDLES = {
    "quiz-bundle.js": ("progress.js", "quiz.js", "quiz-static.js"),  # pages with a quiz
    "progress-bundle.js": ("progress.js", "progress-page.js"),  # the "Your progress" page
}
logger = logging.getLogger(__name__)

_IMPORT = re.compile(r"""^import\s+(?:(?P<default>\w+)|\{(?P<names>[\w\s,]*)\})\s+from\s+["']\./(?P<module>[\w.-]+\.js)["'];?\s*$""")
_EXPORT_DECL = re.compile(r"^export\s+(?P<decl>(?:async\s+)?function\*?\s+(?P<fn>\w+)|(?:const|let|var|class)\s+(?P<var>\w+))")
_EXPORT_DEFAULT = re.compile(r"^export\s+default\s+")


def _classic_module(name: str, source: str, known: list[str]) -> tuple[str, list[str]]:
    """One ES module as the body of a function: its import lines read from ``modules``, ``export`` dropped
    from its declarations, ``import.meta.url`` replaced by the bundle's URL; returns (body, export names)."""
    exports: list[str] = []
    lines = []
    for number, line in enumerate(source.splitlines(), 1):
        where = f"{name}:{number}"
        if line.startswith("import"):
            m = _IMPORT.match(line)
            if not m or m["module"] not in known:
                raise ValueError(f"{where}: only `import x from \"./m.js\"` or `import {{ a, b }} from \"./m.js\"` of an "
                                 f"earlier module ({', '.join(known) or 'none'}) can be bundled: {line!r}")
            if m["default"]:
                line = f'const {m["default"]} = modules["{m["module"]}"].default;'
            else:
                names = [n.strip() for n in m["names"].split(",") if n.strip()]
                line = "const { " + ", ".join(re.sub(r"\s+as\s+", ": ", n) for n in names) + f' }} = modules["{m["module"]}"];'
        elif line.startswith("export"):
            if m := _EXPORT_DECL.match(line):
                exports.append(m["fn"] or m["var"])
                line = line[len("export"):].lstrip()
            elif _EXPORT_DEFAULT.match(line):
                exports.append("default")
                line = "const __default = " + _EXPORT_DEFAULT.sub("", line)
            else:
                raise ValueError(f"{where}: only `export function|const|let|class name` and `export default` can be bundled: {line!r}")
        if re.search(r"\bimport\s*\(|\bimport\.meta\b(?!\.url\b)", line):
            raise ValueError(f"{where}: dynamic import() and import.meta other than import.meta.url cannot be bundled: {line!r}")
        lines.append(line.replace("import.meta.url", "scriptUrl"))
    body = "\n".join(lines)
    returned = ", ".join("default: __default" if e == "default" else e for e in exports)
    return body + f"\nreturn {{ {returned} }};", exports


def classic_bundle(modules: list[tuple[str, str]]) -> str:
    """A classic (non-module) script that runs the ES *modules* [(file name, source)] in order, each in its
    own function scope, the last one being the page's entry point. Handles the plain forms these assets use:
    ``import x from "./m.js"``, ``import { a, b } from "./m.js"``, ``export function/const/let/class``,
    ``export default``, ``import.meta.url`` (the bundle's own URL: it sits beside the modules). Anything
    else raises ValueError, so a new kind of import fails the book build instead of breaking the page."""
    names = [name for name, _ in modules]
    parts = [f"// Built by coursekit.sphinx_ext from {', '.join(names)} (ES modules) as one classic script:",
             "// Chromium runs no module script on a page opened from disk (file://). Do not edit: edit those files.",
             "(function () {",
             '"use strict";',
             "const scriptUrl = document.currentScript ? document.currentScript.src : document.baseURI;",
             "const modules = {};"]
    for i, (name, source) in enumerate(modules):
        body, _ = _classic_module(name, source, names[:i])
        parts += [f"// ---- {name}", f'modules["{name}"] = (function () {{', body, "})();"]
    parts.append("})();")
    return "\n".join(parts) + "\n"


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
        app.add_js_file("coursekit/quiz-bundle.js", loading_method="defer")
    elif app.builder.format == "html" and PROGRESS_MARKER in context.get("body", ""):
        app.add_css_file("coursekit/quiz.css")
        app.add_js_file("coursekit/progress-bundle.js", loading_method="defer")


class ProgressDirective(SphinxDirective):
    """``{coursekit-progress}``: the mount point and data of the "Your progress" table."""

    def run(self) -> list[nodes.Node]:
        from coursekit.quizzes.static_html import script_json
        from coursekit.syllabus import load_path

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
    """quiz.css and the classic scripts, in _static/coursekit/ (the storage key is read from their URL)."""
    if exception is None and app.builder.format == "html":
        target = Path(app.outdir) / "_static" / "coursekit"
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ASSETS / "quiz.css", target / "quiz.css")
        for bundle, sources in BUNDLES.items():
            modules = [(name, (ASSETS / name).read_text(encoding="utf-8")) for name in sources]
            (target / bundle).write_text(classic_bundle(modules), encoding="utf-8")


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
