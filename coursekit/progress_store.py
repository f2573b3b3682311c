"""Live progress: the quiz results of this kernel, and a progress file in your home folder that later sessions read.

``coursekit.progress()`` shows them; ``coursekit.progress(save=True)`` also merges this session's results
into the file (``~/.mlops-course/progress.json``, or ``$COURSEKIT_PROGRESS_FILE``). The file has the shape
the static book keeps in the browser: ``{"version": 1, "questions": {id: {"chapter", "correct"}}, "done": {}}``,
plus the placement check's ``plan`` once it has one.
"""

from __future__ import annotations

import html
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ENV = "COURSEKIT_PROGRESS_FILE"
VERSION = 1


class ProgressError(ValueError):
    """The progress file cannot be used; the message names it and says what to do."""


def progress_file() -> Path:
    """``$COURSEKIT_PROGRESS_FILE`` if set, else ``~/.mlops-course/progress.json``."""
    env = os.environ.get(ENV)
    return Path(env).expanduser() if env else Path.home() / ".mlops-course" / "progress.json"


def empty() -> dict[str, Any]:
    return {"version": VERSION, "questions": {}, "done": {}}


def load(path: Path | None = None) -> dict[str, Any]:
    """The saved progress (empty if there is no file yet)."""
    path = path or progress_file()
    if not path.exists():
        return empty()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ProgressError(f"{path}: not a readable progress file ({exc}); move it away to start afresh") from exc
    if not isinstance(data, dict) or data.get("version") != VERSION or not isinstance(data.get("questions"), dict):
        raise ProgressError(f"{path}: not a version-{VERSION} progress file; move it away to start afresh")
    data.setdefault("done", {})
    return data


def session() -> tuple[dict[str, dict[str, Any]], dict[str, str], int]:
    """(results by question id, the placement check's plan, number of quizzes) of the quizzes created in this kernel."""
    from coursekit.quizzes.widget import SESSION

    results: dict[str, dict[str, Any]] = {}
    plan: dict[str, str] = {}
    quizzes = sorted(SESSION, key=lambda w: w.quiz_id)
    for widget in quizzes:
        chapter = widget.quiz_id.split("/")[0]
        for qid, r in sorted(widget.responses.items()):
            if isinstance(r, dict) and isinstance(r.get("correct"), bool):
                results[qid] = {"chapter": chapter, "correct": r["correct"]}
        if widget.plan:
            plan = dict(widget.plan)
    return results, plan, len(quizzes)


def save_results(results: dict[str, dict[str, Any]], plan: dict[str, str] | None = None, path: Path | None = None) -> Path:
    """Merge *results* (and *plan*) into the progress file, atomically; return its path."""
    path = path or progress_file()
    data = load(path)
    data["questions"].update(results)
    if plan:
        data["plan"] = dict(sorted(plan.items()))
    data["questions"] = dict(sorted(data["questions"].items()))
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, prefix=".progress-", suffix=".tmp",
                                     delete=False) as tmp:
        json.dump(data, tmp, indent=1, sort_keys=True)
        tmp.write("\n")
    os.replace(tmp.name, path)
    return path


@dataclass
class Progress:
    """What ``coursekit.progress()`` shows: per chapter, quiz questions right / answered / in the bank."""

    rows: list[dict[str, Any]]
    session_answers: int
    session_quizzes: int
    earlier_answers: int  # in the file, not from this session
    file: Path
    saved: bool  # every answer of this session is in the file
    plan: dict[str, str] = field(default_factory=dict)

    def _lines(self) -> list[str]:
        n, k = self.session_answers, self.session_quizzes
        line = f"This session: {n} answer{'s' * (n != 1)} in {k} quiz{'zes' * (k != 1)}"
        if n:
            line += f", saved in {self.file}" if self.saved else f", not saved yet (coursekit.progress(save=True) keeps them in {self.file})"
        lines = [line + "."]
        if self.earlier_answers:
            lines.append(f"Also shown: {self.earlier_answers} answer{'s' * (self.earlier_answers != 1)} saved earlier in {self.file}.")
        if self.plan:
            by = {s: [c for c, st in sorted(self.plan.items()) if st == s] for s in ("study", "skim", "skip")}
            lines.append("Your path from the placement check: " + "; ".join(f"{s} {', '.join(cs)}" for s, cs in by.items() if cs) + ".")
        return lines

    def __repr__(self) -> str:
        lines = self._lines()
        if self.rows:
            lines.append(f"{'chapter':<44} {'right':>5} {'answered':>8} {'questions':>9}")
            lines += [f"{r['chapter'][:44]:<44} {r['right']:>5} {r['answered']:>8} {r['total']:>9}" for r in self.rows]
        else:
            lines.append("No quiz answered yet: answer a quiz, then call coursekit.progress() again.")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        out = [f"<p>{html.escape(line)}</p>" for line in self._lines()]
        if self.rows:
            out.append("<table><thead><tr><th>chapter</th><th>right</th><th>answered</th><th>questions</th></tr></thead><tbody>")
            out += [f"<tr><td>{html.escape(r['chapter'])}</td><td>{r['right']}</td><td>{r['answered']}</td><td>{r['total']}</td></tr>"
                    for r in self.rows]
            out.append("</tbody></table>")
        else:
            out.append("<p>No quiz answered yet: answer a quiz, then call <code>coursekit.progress()</code> again.</p>")
        return "\n".join(out)


def progress(save: bool = False) -> Progress:
    """This kernel's quiz results merged over the saved ones (this session wins for the same question);
    with ``save=True``, merge them into the progress file first."""
    from coursekit.syllabus import load_path

    path = progress_file()
    results, plan, n_quizzes = session()
    if save and (results or plan):
        save_results(results, plan, path)
    saved = load(path)
    merged = {**saved["questions"], **results}
    course = load_path()
    groups = [(f"{c.number} {c.title}", c.questions) for c in course.chapters]
    if course.placement is not None:
        groups.insert(0, (f"{course.placement.chapter[:2]} {course.placement.title}",
                          tuple(q.id for q in course.placement.questions)))
    rows = []
    for name, ids in groups:
        mine = [merged[q] for q in ids if q in merged]
        if mine:
            rows.append({"chapter": name, "right": sum(r["correct"] for r in mine), "answered": len(mine), "total": len(ids)})
    in_file = all(saved["questions"].get(q) == r for q, r in results.items())
    earlier = sum(1 for q in saved["questions"] if q not in results)
    return Progress(rows, len(results), n_quizzes, earlier, path, saved=in_file, plan=plan or saved.get("plan", {}))
