"""The placement check's fixed answers, and the path the rules give for them (quiz.js under node): shared by the
book's test (tests/book/test_placement_browser.py) and JupyterLab's (tests/jupyterlab/test_placement_jupyterlab.py),
so both compare the page with the same rules. Also axe-core's colour-contrast rule on one part of a page."""

from __future__ import annotations

import json
import subprocess

from tests.support.book_server import set_theme
from tests.support.tools import node

WRONG_CHAPTERS = ("03", "09")  # chapters 03 and 09 to study; 07 and 08 build on 03 (skim); 01, 02... skipped


def pattern(questions: list[dict]) -> list[bool]:
    """The fixed answers: the last question on each chapter of WRONG_CHAPTERS wrong, every other one right."""
    last = {q["objective"].split(".")[0]: q["id"] for q in questions}
    return [not (q["objective"].split(".")[0] in WRONG_CHAPTERS and last[q["objective"].split(".")[0]] == q["id"])
            for q in questions]


def node_path(root, tmp_path, placement, questions, responses) -> dict:
    """The path quiz.js's rules (tests/js/recommend.mjs, under node) give for *responses*."""
    data = tmp_path / "answers.json"
    data.write_text(json.dumps({"placement": placement, "questions": questions, "responses": responses}))
    out = subprocess.run([node(), "tests/js/recommend.mjs", str(data)], cwd=root, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def contrast_failures(page, selector: str) -> list[str]:
    """axe-core's colour-contrast rule on one part of the page, in the light and the dark theme."""
    from axe_playwright_python.sync_playwright import Axe

    failures = []
    for mode in ("light", "dark"):
        set_theme(page, mode)
        only = {"resultTypes": ["violations"], "runOnly": {"type": "rule", "values": ["color-contrast"]}}
        for v in Axe().run(page, context=selector, options=only).response["violations"]:
            failures.append(f"{mode}: {v['help']} x{len(v['nodes'])} e.g. {[n['target'] for n in v['nodes'][:3]]}")
    return failures
