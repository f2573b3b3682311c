"""The glossary: one well-formed line per term, each naming a chapter of the book; every chapter links its
new terms there, and every link to a term reaches an entry. (The book build also fails on a link to a
missing term, through coursekit.sphinx_ext; these checks read the sources only, so they run in a second.)"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from docutils import nodes
from docutils.frontend import get_default_settings
from docutils.parsers.rst import Parser
from docutils.utils import new_document
from sphinx import addnodes
from sphinx.util.nodes import _make_id  # the function Sphinx uses for a glossary term's id

from coursekit.notebooks import io
from coursekit.sphinx_ext import _glossary_terms_as_link_targets

ROOT = Path(__file__).resolve().parents[2]
GLOSSARY = ROOT / "glossary.md"
FENCE = re.compile(r"^```\{glossary\}\n(?P<body>.*?)^```$", re.S | re.M)
DEFINITION = re.compile(
    r"^  (?P<definition>\S.*?) \*DevOps:\* (?P<analogue>\S.*?)\. "
    r"\*Taught in\* \[chapter (?P<number>\d\d)\]\((?P<path>chapters/[^)\s]+)\)\.$")
TERM_LINK = re.compile(r"\[(?P<text>[^\]]+)\]\((?:\.\./)?glossary\.md#(?P<anchor>[^)\s]+)\)")
NEW_TERMS = "**New terms in this chapter**"
# Chapters whose glossary links are still to come. The marks are strict xfails: once the links exist the
# tests pass, pytest reports XPASS as a failure, and the chapter comes off these lists.
PENDING_ANY_LINK: set[str] = set()
PENDING_NEW_TERMS: set[str] = set()


def pending(stems, waiting: set[str]) -> list:
    return [pytest.param(s, marks=pytest.mark.xfail(strict=True, reason="its glossary links are still to be added"))
            if s in waiting else s for s in stems]


class GlossaryError(ValueError):
    pass


def anchor(term: str) -> str:
    """The id Sphinx's glossary gives a term, i.e. what a link's ``#…`` must name."""
    return _make_id("term-" + term)


def parse_glossary(text: str, name: str = "glossary.md") -> list[dict[str, str]]:
    """The entries of the one ``{glossary}`` block: term, definition, analogue, chapter number and path.
    Raises GlossaryError naming the file and line of the first malformed entry."""
    fences = list(FENCE.finditer(text))
    if len(fences) != 1:
        raise GlossaryError(f"{name}: expected exactly one ```{{glossary}} block, found {len(fences)}")
    body = fences[0].group("body")
    first_line = text[:fences[0].start("body")].count("\n") + 1
    entries: list[dict[str, str]] = []
    term: tuple[int, str] | None = None
    for offset, line in enumerate(body.splitlines()):
        where = f"{name}, line {first_line + offset}"
        if not line.strip():
            if term is not None:
                raise GlossaryError(f"{where}: term {term[1]!r} (line {term[0]}) has no definition line")
            continue
        if line.startswith(":"):
            if entries or term:
                raise GlossaryError(f"{where}: directive option {line!r} after the first entry")
            continue
        if not line[0].isspace():
            if term is not None:
                raise GlossaryError(f"{where}: {line!r} follows the term {term[1]!r} directly: one term per entry, "
                                    "then its definition on one indented line")
            term = (first_line + offset, line.strip())
            continue
        if term is None:
            raise GlossaryError(f"{where}: a second definition line; an entry is one term and one line")
        match = DEFINITION.match(line)
        if not match:
            raise GlossaryError(f"{where}: the definition of {term[1]!r} must read '  <definition> *DevOps:* "
                                "<analogue, or —>. *Taught in* [chapter NN](chapters/NN_….ipynb).'")
        entries.append({"term": term[1], "line": str(term[0]), **match.groupdict()})
        term = None
    if term is not None:
        raise GlossaryError(f"{name}, line {term[0]}: term {term[1]!r} has no definition line")
    return entries


def toc_chapters() -> dict[str, Path]:
    """stem → source file of every ``chapters/…`` page in _toc.yml, in book order."""
    found: dict[str, Path] = {}

    def walk(node):
        if isinstance(node, dict):
            file = str(node.get("file", ""))
            if file.startswith("chapters/"):
                stem = file.removeprefix("chapters/")
                sources = [ROOT / "chapters" / f"{stem}{suffix}" for suffix in (".ipynb", ".md")]
                found[stem] = next((s for s in sources if s.exists()), sources[0])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8")))
    return found


def markdown_of(path: Path) -> list[tuple[str, str]]:
    """(place, markdown) pairs: each markdown cell of a notebook, or the whole of a Markdown file."""
    if path.suffix == ".md":
        return [(path.name, path.read_text(encoding="utf-8"))]
    return [(f"{path.name}, cell {cell.get('id', i)}", cell.source)
            for i, cell in enumerate(io.read(path).cells) if cell.cell_type == "markdown"]


ENTRIES = parse_glossary(GLOSSARY.read_text(encoding="utf-8"))
CHAPTERS = toc_chapters()
ANCHORS = {anchor(e["term"]): e for e in ENTRIES}


def test_glossary_has_entries_and_is_in_the_book():
    assert len(ENTRIES) >= 60, f"glossary.md has only {len(ENTRIES)} entries"
    toc = (ROOT / "_toc.yml").read_text(encoding="utf-8")
    assert re.search(r"^\s*- file: glossary\s*$", toc, re.M), "_toc.yml does not list glossary"


def test_no_duplicate_terms_or_anchors():
    seen: dict[str, dict[str, str]] = {}
    for entry in ENTRIES:
        # Sphinx matches {term} case-insensitively, and two terms with one id would get a numbered id instead
        for key in (entry["term"].lower(), anchor(entry["term"])):
            assert key not in seen, (f"glossary.md, line {entry['line']}: {entry['term']!r} clashes with "
                                     f"{seen[key]['term']!r} (line {seen[key]['line']})")
            seen[key] = entry
        assert anchor(entry["term"]) != "term", f"glossary.md, line {entry['line']}: {entry['term']!r} has no usable id"


def test_every_entry_names_a_chapter_of_the_book():
    for entry in ENTRIES:
        path = ROOT / entry["path"]
        place = f"glossary.md, line {entry['line']} ({entry['term']!r})"
        assert path.exists(), f"{place}: {entry['path']} does not exist"
        assert path.stem in CHAPTERS, f"{place}: {entry['path']} is not a chapter in _toc.yml"
        assert path.stem.startswith(entry["number"] + "_"), f"{place}: link text says chapter {entry['number']}, not {path.stem}"


@pytest.mark.parametrize("stem", pending([s for s in CHAPTERS if not s.startswith("00_")], PENDING_ANY_LINK))
def test_every_chapter_links_the_glossary(stem):
    links = [m for _, text in markdown_of(CHAPTERS[stem]) for m in TERM_LINK.finditer(text)]
    assert links, f"{CHAPTERS[stem].name}: no link to a glossary term (add its '{NEW_TERMS}' line)"


@pytest.mark.parametrize("stem", list(CHAPTERS))
def test_every_term_link_reaches_an_entry(stem):
    for place, text in markdown_of(CHAPTERS[stem]):
        for link in TERM_LINK.finditer(text):
            assert link["anchor"] in ANCHORS, f"{place}: [{link['text']}] links to #{link['anchor']}, which no glossary entry has"


@pytest.mark.parametrize("stem", pending(CHAPTERS, PENDING_NEW_TERMS))
def test_new_terms_line_lists_exactly_the_chapter_s_own_terms(stem):
    own = {anchor(e["term"]) for e in ENTRIES if e["number"] == stem[:2]}
    lines = [(place, line) for place, text in markdown_of(CHAPTERS[stem])
             for line in text.splitlines() if line.startswith(NEW_TERMS)]
    if not own and not lines:
        return  # a chapter that teaches no new term (the capstone) needs no line
    assert len(lines) == 1, f"{CHAPTERS[stem].name}: expected one '{NEW_TERMS}' line, found {len(lines)}"
    place, line = lines[0]
    linked = {m["anchor"] for m in TERM_LINK.finditer(line)}
    missing = sorted(ANCHORS[a]["term"] for a in own - linked)
    foreign = sorted(a for a in linked - own)
    assert not missing, f"{place}: the glossary names this chapter for {missing}, but its '{NEW_TERMS}' line does not link them"
    assert not foreign, f"{place}: its '{NEW_TERMS}' line links {foreign}, which the glossary gives to other chapters"


# ------------------------------------------------------------------------- the checks themselves

GOOD = "  A thing. *DevOps:* —. *Taught in* [chapter 01](chapters/01_ml_essentials.ipynb)."


@pytest.mark.parametrize("text, message", [
    ("# G\n", "expected exactly one ```{glossary} block, found 0"),
    ("```{glossary}\nfeature\n\n```\n", "line 3: term 'feature' (line 2) has no definition line"),
    ("```{glossary}\nfeature\n```\n", "line 2: term 'feature' has no definition line"),
    ("```{glossary}\nfeature\nlabel\n" + GOOD + "\n```\n", "line 3: 'label' follows the term 'feature' directly"),
    ("```{glossary}\nfeature\n" + GOOD + "\n" + GOOD + "\n```\n", "line 4: a second definition line"),
    ("```{glossary}\nfeature\n  A thing. *Taught in* [chapter 01](chapters/01_ml_essentials.ipynb).\n```\n",
     "line 3: the definition of 'feature' must read"),
    ("```{glossary}\nfeature\n  A thing. *DevOps:* —.\n```\n", "line 3: the definition of 'feature' must read"),
    ("```{glossary}\nfeature\n" + GOOD + "\n:sorted:\n```\n", "line 4: directive option ':sorted:' after the first entry"),
])
def test_malformed_glossary_is_reported_with_its_line(text, message):
    with pytest.raises(GlossaryError, match=re.escape(message)):
        parse_glossary(text)


def test_well_formed_entry_is_parsed():
    [entry] = parse_glossary("x\n```{glossary}\n:sorted:\n\nA/B test\n" + GOOD + "\n```\n")
    assert (entry["term"], entry["analogue"], entry["number"], entry["line"]) == ("A/B test", "—", "01", "5")
    assert anchor(entry["term"]) == "term-A-B-test"


def test_extension_registers_each_glossary_term_as_a_link_target():
    """What lets ``[x](../glossary.md#term-x)`` resolve in the build: the term ids join MyST's anchors."""
    document = new_document("glossary.md", get_default_settings(Parser))
    glossary = addnodes.glossary()
    for term_text, node_id in [("feature", "term-feature"), ("A/B test", "term-A-B-test")]:
        term = nodes.term(term_text, term_text, ids=[node_id])
        glossary += nodes.definition_list("", nodes.definition_list_item("", term, nodes.definition()))
    document += glossary
    document += nodes.section("", nodes.term("not in a glossary", "not in a glossary", ids=["elsewhere"]))

    class Env:
        docname = "glossary"
        metadata = {"glossary": {"myst_slugs": {"a-heading": (3, "a-heading", "A heading")}}}

    class App:
        env = Env()

    _glossary_terms_as_link_targets(App(), document)
    slugs = Env.metadata["glossary"]["myst_slugs"]
    assert set(slugs) == {"a-heading", "term-feature", "term-A-B-test"}, slugs
    assert slugs["term-A-B-test"][1:] == ("term-A-B-test", "A/B test")
