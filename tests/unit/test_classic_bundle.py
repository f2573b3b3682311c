"""The book's classic scripts: ES modules joined by coursekit.sphinx_ext.classic_bundle, which a page opened
from disk (file://) can run. Run under Node with a stand-in for document.currentScript."""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from coursekit.layout import QUIZ_ASSETS
from coursekit.sphinx_ext import BUNDLES, classic_bundle
from tests.support.tools import node

LIB = """// a library
const SECRET = 2;
export const VERSION = 1;
export function double(x) { return x * SECRET; }
export function here() { return new URL("../../", import.meta.url).pathname; }
export default { name: "lib" };
"""
MIDDLE = """import lib from "./lib.js";
import { double, here as where } from "./lib.js";
export function quadruple(x) { return double(double(x)); }
export default { lib: lib.name, where };
"""
ENTRY = """import mid from "./middle.js";
import { quadruple } from "./middle.js";
const SECRET = "entry's own";  // the same name as in lib.js: each module has its own scope
globalThis.result = { four: quadruple(1), lib: mid.lib, where: mid.where(), secret: SECRET };
"""


def run_in_node(script: str) -> dict:
    harness = ("globalThis.document = { currentScript: { src: 'file:///books/ml/_static/coursekit/b.js' }, baseURI: '' };\n"
               + script + "\nconsole.log(JSON.stringify(globalThis.result));")
    out = subprocess.run([node(), "-e", harness], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_modules_keep_their_scopes_imports_exports_and_script_url():
    bundle = classic_bundle([("lib.js", LIB), ("middle.js", MIDDLE), ("entry.js", ENTRY)])
    assert not re.search(r"^\s*(import|export)\b", bundle, re.MULTILINE)
    assert "import.meta" not in bundle
    assert run_in_node(bundle) == {"four": 4, "lib": "lib", "where": "/books/ml/", "secret": "entry's own"}


@pytest.mark.parametrize("source, why", [
    ('import { a } from "./later.js";\n', "earlier module"),
    ('import * as lib from "./lib.js";\n', "can be bundled"),
    ('import lib from "https://cdn.example/lib.js";\n', "can be bundled"),
    ("export { VERSION };\n", "can be bundled"),
    ('const m = await import("./lib.js");\n', "dynamic import"),
])
def test_what_it_cannot_bundle_fails_loudly(source, why):
    with pytest.raises(ValueError, match=why):
        classic_bundle([("lib.js", LIB), ("entry.js", source)])


@pytest.mark.parametrize("bundle", sorted(BUNDLES))
def test_the_book_bundles_are_classic_scripts(bundle, tmp_path):
    script = classic_bundle([(name, (QUIZ_ASSETS / name).read_text(encoding="utf-8")) for name in BUNDLES[bundle]])
    assert not re.search(r"^\s*(import|export)\b", script, re.MULTILINE)
    path = tmp_path / bundle
    path.write_text(script, encoding="utf-8")
    check = subprocess.run([node(), "--check", str(path)], capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stderr  # parses as a script (a module's syntax would not)
