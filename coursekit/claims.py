"""Time-sensitive claims: what the course says about a project's status, a default, a version, a date, a
price or a law, each with its source and the date it was checked, in one file (``claims.yml``).

``coursekit claims`` lists the claims checked more than ``--older-than`` days ago (default 180): a
maintainer's review list, not a test that fails with the calendar. The tests check that every claim is
well formed and points at a place that exists.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from coursekit.layout import course_root, error_at

CLAIMS_FILE = "claims.yml"
KINDS = ("status", "default", "version", "date", "price", "law")
FIELDS = ("id", "kind", "where", "claim", "source", "checked")
ID = re.compile(r"^ch\d{2}-[a-z0-9-]+$")


class ClaimError(ValueError):
    """claims.yml is malformed; the message names the file, the claim and the field."""

    def __init__(self, path: Path, message: str, claim: str | None = None, field: str | None = None):
        super().__init__(error_at(path, message, claim=claim, field=field))


@dataclass(frozen=True)
class Claim:
    id: str
    kind: str
    where: str  # file#anchor: a notebook cell id, a quiz question id, or a Markdown heading's text
    claim: str
    source: str
    checked: datetime.date

    def age(self, today: datetime.date) -> int:
        return (today - self.checked).days


def _read(path: Path, raw: Any, index: int) -> Claim:
    cid = raw.get("id") if isinstance(raw, dict) and isinstance(raw.get("id"), str) else f"#{index + 1}"
    if not isinstance(raw, dict):
        raise ClaimError(path, "each claim is a mapping with " + ", ".join(FIELDS), claim=cid)
    for field in (*sorted(set(raw) - set(FIELDS)), *(f for f in FIELDS if f not in raw)):
        raise ClaimError(path, "not a field of a claim" if field in raw else "missing", claim=cid, field=field)
    if not ID.match(raw["id"]):
        raise ClaimError(path, "ids look like ch12-tgi-maintenance (chapter number, then words)", claim=cid, field="id")
    if raw["kind"] not in KINDS:
        raise ClaimError(path, f"use one of {', '.join(KINDS)}", claim=cid, field="kind")
    for field in ("where", "claim", "source"):
        if not isinstance(raw[field], str) or not raw[field].strip():
            raise ClaimError(path, "must be non-empty text", claim=cid, field=field)
    if not isinstance(raw["checked"], datetime.date):
        raise ClaimError(path, f"give the date it was checked, e.g. 2026-12-08 (got {raw['checked']!r})", claim=cid,
                         field="checked")
    return Claim(**{f: raw[f] for f in FIELDS})


def load_claims(root: Path | None = None) -> list[Claim]:
    path = (root or course_root()) / CLAIMS_FILE
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ClaimError(path, f"cannot read: {exc}") from exc
    if not isinstance(raw, list):
        raise ClaimError(path, "must be a list of claims")
    claims = [_read(path, item, i) for i, item in enumerate(raw)]
    seen: set[str] = set()
    for c in claims:
        if c.id in seen:
            raise ClaimError(path, "duplicate id", claim=c.id, field="id")
        seen.add(c.id)
    return claims


def anchors(file: Path) -> set[str]:
    """What a claim's ``where`` may point at in *file*: cell ids, question ids, or Markdown heading texts."""
    if file.suffix == ".ipynb":
        import nbformat

        return {c.get("id") for c in nbformat.read(file, as_version=4).cells}
    if file.suffix in (".yml", ".yaml"):
        data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
        return {q.get("id") for q in data.get("questions", []) if isinstance(q, dict)}
    return {m.group(1).strip() for m in re.finditer(r"^#+\s+(.+)$", file.read_text(encoding="utf-8"), re.MULTILINE)}


def dangling(claims: list[Claim], root: Path | None = None) -> list[str]:
    """Claims whose place does not exist (a missing file, cell, question or heading)."""
    root = root or course_root()
    out = []
    for c in claims:
        file, _, anchor = c.where.partition("#")
        target = root / file
        if not target.is_file():
            out.append(f"{c.id}: {file} does not exist")
        elif anchor and anchor not in anchors(target):
            out.append(f"{c.id}: {file} has no cell, question or heading {anchor!r}")
    return out


def older_than(claims: list[Claim], days: int, today: datetime.date | None = None) -> list[Claim]:
    today = today or datetime.date.today()
    return sorted((c for c in claims if c.age(today) > days), key=lambda c: (c.checked, c.id))


def report(days: int, today: datetime.date | None = None) -> str:
    """The claims to re-check, oldest first, as lines a maintainer can work through."""
    today = today or datetime.date.today()
    claims = load_claims()
    due = older_than(claims, days, today)
    lines = [f"{len(due)} of {len(claims)} claims were checked more than {days} days before {today}:"]
    for c in due:
        lines.append(f"- {c.id} ({c.kind}, checked {c.checked}, {c.age(today)} days): {c.claim}\n"
                     f"    where: {c.where}\n    source: {c.source}")
    return "\n".join(lines)
