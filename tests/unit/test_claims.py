"""claims.yml: a malformed claim is named with its id and field; a claim's place must exist."""

from __future__ import annotations

import datetime

import nbformat
import pytest
import yaml

from coursekit.claims import ClaimError, dangling, load_claims, older_than, report

GOOD = {"id": "ch12-tgi-maintenance", "kind": "status", "where": "chapters/12_x.ipynb#status",
        "claim": "TGI is in maintenance mode", "source": "https://huggingface.co/docs/text-generation-inference",
        "checked": datetime.date(2026, 12, 8)}


def write(root, claims) -> None:
    (root / "claims.yml").write_text(yaml.safe_dump(claims, sort_keys=False), encoding="utf-8")


@pytest.mark.parametrize("change, field, words", [
    (lambda c: c.pop("source"), "source", "missing"),
    (lambda c: c.update(kind="rumour"), "kind", "use one of status"),
    (lambda c: c.update(id="tgi"), "id", "ids look like"),
    (lambda c: c.update(checked="last week"), "checked", "give the date"),
    (lambda c: c.update(extra=1), "extra", "not a field of a claim"),
])
def test_a_malformed_claim_is_named(tmp_path, change, field, words):
    claim = dict(GOOD)
    change(claim)
    write(tmp_path, [claim])
    with pytest.raises(ClaimError) as err:
        load_claims(tmp_path)
    assert str(err.value).startswith("claims.yml") or "claims.yml" in str(err.value)
    assert f"field '{field}'" in str(err.value) and words in str(err.value)


def test_a_claim_whose_place_is_gone_is_reported(tmp_path):
    (tmp_path / "chapters").mkdir()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("x")])
    nb.cells[0].id = "status"
    nbformat.write(nb, tmp_path / "chapters" / "12_x.ipynb")
    write(tmp_path, [GOOD, {**GOOD, "id": "ch12-gone", "where": "chapters/12_x.ipynb#table"}])
    assert dangling(load_claims(tmp_path), tmp_path) == ["ch12-gone: chapters/12_x.ipynb has no cell, question or heading 'table'"]


def test_the_report_lists_only_claims_older_than_asked(tmp_path, monkeypatch):
    write(tmp_path, [GOOD, {**GOOD, "id": "ch12-old", "checked": datetime.date(2025, 1, 1)}])
    monkeypatch.setenv("COURSEKIT_ROOT", str(tmp_path))
    claims = load_claims(tmp_path)
    assert [c.id for c in older_than(claims, 180, datetime.date(2026, 12, 9))] == ["ch12-old"]
    text = report(180, datetime.date(2026, 12, 9))
    assert text.startswith("1 of 2 claims were checked more than 180 days before 2026-12-09")
    assert "ch12-old (status, checked 2025-01-01, 707 days)" in text
