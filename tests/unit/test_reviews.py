"""Reviews are settled in the repository: every finding of the December 2026 accuracy review has an outcome
and a source in the ledger (reviews/2026-12.md); the list of findings is copied into reviews/ so that a
clone needs nothing outside the repository."""

from __future__ import annotations

import re

from coursekit.claims import dangling, load_claims, older_than
from coursekit.freshness import update

OUTCOMES = ("fixed", "rebutted", "partly")
ROW = re.compile(r"^\| (accuracy-\d\d-\d\d [FHMLU]\d+) \| (\w+) \| (.+?) \| (.+?) \| (.+?) \|$")


def findings(root) -> list[str]:
    return [line.split(" | ")[0] for line in (root / "reviews" / "2026-12-findings.txt").read_text().splitlines() if line]


def ledger(root) -> dict[str, tuple[str, ...]]:
    rows: dict[str, tuple[str, ...]] = {}
    for line in (root / "reviews" / "2026-12.md").read_text(encoding="utf-8").splitlines():
        if m := ROW.match(line):
            assert m.group(1) not in rows, f"reviews/2026-12.md: {m.group(1)} has two rows"
            rows[m.group(1)] = m.groups()[1:]
    return rows


def test_the_copied_list_has_all_85_findings(root):
    ids = findings(root)
    assert len(ids) == len(set(ids)) == 85


def test_every_finding_is_settled_with_an_outcome_and_a_source(root):
    rows = ledger(root)
    missing = [f for f in findings(root) if f not in rows]
    assert not missing, f"reviews/2026-12.md has no row for {missing}"
    assert set(rows) <= set(findings(root)), f"rows for findings not in the review: {set(rows) - set(findings(root))}"
    for finding, (outcome, where, source, change) in rows.items():
        assert outcome in OUTCOMES, f"{finding}: outcome {outcome!r} (use {', '.join(OUTCOMES)})"
        assert len(source) > 15 and not source.lower().startswith(("todo", "tbd")), f"{finding}: no real source"
        assert where.strip() and change.strip(), f"{finding}: say where and what changed (or why not)"


def test_every_claim_is_well_formed_and_points_at_a_place_that_exists(root):
    claims = load_claims(root)
    assert claims, "claims.yml lists no claims"
    assert not dangling(claims, root), "\n".join(dangling(claims, root))


def test_the_claims_report_lists_claims_by_age():
    claims = load_claims()
    newest = max(c.checked for c in claims)
    assert older_than(claims, 0, newest) == []
    import datetime

    later = newest + datetime.timedelta(days=400)
    assert len(older_than(claims, 180, later)) == len(claims)


def test_every_chapter_shows_its_freshness_line():
    stale = update(check=True)
    assert not stale, f"out of date: {[p.name for p in stale]} (run: python -m coursekit freshness)"
