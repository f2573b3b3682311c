"""Sphinx extension: ship the quiz renderer with the book and load it only on pages that show a quiz.

Files under the book's own ``_static/`` are added to every page, so the assets live in this
package instead and are linked per page from the ``html-page-context`` event.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx

from coursekit.paths import QUIZ_ASSETS as ASSETS

MARKER = "data-ck-quiz="
ASSET_FILES = ("quiz.js", "quiz-static.js", "quiz.css")


def _add_quiz_assets(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any) -> None:
    if app.builder.format == "html" and MARKER in context.get("body", ""):
        app.add_css_file("coursekit/quiz.css")
        app.add_js_file("coursekit/quiz-static.js", type="module")


def _copy_assets(app: Sphinx, exception: Exception | None) -> None:
    # quiz-static.js imports ./quiz.js, so the three files sit together in _static/coursekit/.
    if exception is None and app.builder.format == "html":
        target = Path(app.outdir) / "_static" / "coursekit"
        target.mkdir(parents=True, exist_ok=True)
        for name in ASSET_FILES:
            shutil.copyfile(ASSETS / name, target / name)


def _drop_thebe(app: Sphinx) -> None:
    """Jupyter Book 1 always loads sphinx-thebe, which declares its script twice (a console error) and
    names a CDN. This book does not use Thebe (``launch_buttons.thebe: false``), so unhook it."""
    if app.config.html_theme_options.get("launch_buttons", {}).get("thebe"):
        return
    for event in ("env-before-read-docs", "doctree-resolved"):
        for listener in list(app.events.listeners.get(event, [])):
            if getattr(listener.handler, "__module__", "").startswith("sphinx_thebe"):
                app.disconnect(listener.id)


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("builder-inited", _drop_thebe)
    app.connect("build-finished", _copy_assets)
    app.connect("html-page-context", _add_quiz_assets)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
