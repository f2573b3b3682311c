"""Chapter code that exercises reuse has one source: the chapter's cells tagged `export`.

`python -m coursekit exports` writes them into coursekit/exports/chNN.py; these tests keep those files in step
(like `exercises --check`) and pin what the generator does on small fixture notebooks.
"""

from __future__ import annotations

import importlib
import sys

import nbformat
import pytest

from coursekit.cli import main
from coursekit.notebooks import exports, io


def test_exports_are_up_to_date(capsys):
    assert main(["exports", "--check"]) == 0, capsys.readouterr().err


def test_every_exported_chapter_module_imports_and_names_its_source(root):
    modules = exports.chapter_paths(root)
    generated = [(chapter, exports.module_path(chapter, root)) for chapter in modules]
    generated = [(chapter, path) for chapter, path in generated if path.exists()]
    assert {path.stem for _, path in generated} >= {"ch04", "ch06", "ch09", "ch10", "ch13"}
    for chapter, path in generated:
        module = importlib.import_module(f"coursekit.exports.{path.stem}")
        assert f"Generated from chapters/{chapter.name}" in module.__doc__


def test_the_chapters_code_is_what_the_exercises_run():
    from coursekit.checks import ch04, ch06, ch09
    from coursekit.exports import ch04 as chapter04
    from coursekit.exports import ch06 as chapter06
    from coursekit.exports import ch09 as chapter09
    from coursekit.exports import ch10 as chapter10
    from coursekit.exports import ch13 as chapter13
    from coursekit.worlds import ch13 as world13

    assert ch04.validate_batch is chapter04.validate_batch and ch06.Preempted is chapter06.Preempted
    assert ch09.orders is chapter09.orders and ch09.validate_rules is chapter09.validate_rules
    assert world13.pickle_imports is chapter13.pickle_imports
    assert chapter10.paired_bootstrap.__module__ == "coursekit.exports.ch10"


# ------------------------------------------------------------------------------------------ the generator


def course(tmp_path, cells: list, name: str = "42_sample.ipynb"):
    """A course root holding one chapter made of *cells* (code strings; a tuple (source, tags) tags it)."""
    nb = nbformat.v4.new_notebook()
    for i, cell in enumerate(cells):
        source, tags = cell if isinstance(cell, tuple) else (cell, [])
        nb.cells.append(nbformat.v4.new_code_cell(source, id=f"cell-{i}", metadata={"tags": tags}))
    (tmp_path / "chapters").mkdir()
    (tmp_path / "coursekit" / "exports").mkdir(parents=True)
    io.write(nb, tmp_path / "chapters" / name)
    return tmp_path


def test_generator_copies_tagged_cells_with_the_imports_they_use(tmp_path):
    root = course(tmp_path, [
        "import os, json\nimport numpy as np\nfrom typing import Any, Mapping\nfrom pathlib import Path",
        ("SCALE = 2.0\n\n\ndef double(values: Any) -> np.ndarray:\n    return np.asarray(values) * SCALE", ["export"]),
        "print(double([1, 2]))",
        ("def dumps(value):\n    return json.dumps(value)", ["export"]),
    ])
    assert exports.generate(root) == [root / "coursekit" / "exports" / "ch42.py"]
    text = (root / "coursekit" / "exports" / "ch42.py").read_text()
    assert "chapters/42_sample.ipynb" in text and "`cell-1`, `cell-3`" in text
    assert "import json\nfrom typing import Any\n\nimport numpy as np\n" in text
    assert "import os" not in text and "Mapping" not in text and "Path" not in text and "print(" not in text
    namespace: dict = {}
    exec(compile(text, "ch42.py", "exec"), namespace)  # the generated module, from the fixture above
    assert list(namespace["double"]([1, 2])) == [2.0, 4.0] and namespace["dumps"]([1]) == "[1]"
    assert exports.stale(root) == [] and exports.generate(root) == []


def test_generator_reports_stale_and_orphaned_modules(tmp_path):
    root = course(tmp_path, [("X = 1", ["export"])])
    target = root / "coursekit" / "exports" / "ch42.py"
    assert exports.stale(root) == [target]
    exports.generate(root)
    target.write_text(target.read_text() + "# edited by hand\n")
    orphan = root / "coursekit" / "exports" / "ch77.py"
    orphan.write_text("X = 2\n")
    assert exports.stale(root) == [target, orphan]


@pytest.mark.parametrize("cells, words", [
    ([("print('hello')", ["export"])], "holds only definitions"),
    ([("for i in range(3):\n    pass", ["export"])], "holds only definitions"),
    (["SEED = 0", ("def f():\n    return SEED", ["export"])], "use ['SEED']"),
    ([("%timeit 1", ["export"])], "not plain Python"),
    (["from os.path import *", ("def f():\n    return 1", ["export"])], "imports *"),
])
def test_generator_refuses_what_it_cannot_export_alone(tmp_path, cells, words):
    root = course(tmp_path, cells)
    with pytest.raises(exports.ExportError, match=r"chapters/42_sample.ipynb: .*" + words.replace("[", r"\[")
                       .replace("]", r"\]").replace("*", r"\*")):
        exports.generate(root)


def test_the_command_reports_what_it_regenerated(tmp_path, monkeypatch, capsys):
    root = course(tmp_path, [("X = 1", ["export"])])
    monkeypatch.setenv("COURSEKIT_ROOT", str(root))
    assert main(["exports", "--check"]) == 1
    assert "out of date: coursekit/exports/ch42.py" in capsys.readouterr().err
    assert main(["exports"]) == 0
    assert "regenerated: coursekit/exports/ch42.py" in capsys.readouterr().out
    assert main(["exports", "--check"]) == 0
    assert "coursekit.exports.ch42" not in sys.modules
