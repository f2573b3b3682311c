"""The setup cell every notebook starts with, written once here and put in place by ``coursekit refresh``.

It runs before anything else in the notebook: it switches off every library's telemetry (the variables must
be set before those libraries are imported), and when the notebook is opened on its own (Colab, a copy on
disk) it fetches the course and its libraries. In a course checkout the second part does nothing.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from nbconvert.preprocessors import Preprocessor
from nbformat.v4 import new_code_cell

from coursekit.layout import course_root
from coursekit.notebooks.environment import TELEMETRY_OFF

SETUP_TAGS = ["setup", "remove-cell"]
TEMPLATE = '''\
# Setup: no library phones home; and when this notebook is opened on its own (e.g. in Colab), fetch the course.
import importlib.util, os, pathlib, subprocess, sys
os.environ.update({telemetry_off})
if importlib.util.find_spec("coursekit") is None:
    course = pathlib.Path.home() / "mlops-course"
    if not course.exists():
        subprocess.run(["git", "clone", "--depth=1", "{url}", str(course)], check=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "-e", f"{{course}}[notebooks]"], check=True)
    if sys.version_info >= (3, 13):  # modelscan (chapter 13) says it needs Python < 3.13, but it runs on 3.13
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--ignore-requires-python", "modelscan>=0.8"],
                       check=True)
    sys.path.insert(0, str(course))'''


def repository_url(root: Path | None = None) -> str:
    """The one repository URL (``_config.yml`` ``repository.url``), also used by the book's launch buttons."""
    config = yaml.safe_load(((root or course_root()) / "_config.yml").read_text(encoding="utf-8"))
    return config["repository"]["url"]


def setup_source(url: str | None = None) -> str:
    """The setup cell's code."""
    return TEMPLATE.format(telemetry_off=repr(TELEMETRY_OFF), url=url or repository_url())


class EnsureSetupCell(Preprocessor):
    """Make the first cell the setup cell (replacing an older one, tagged ``setup``), with no outputs."""

    def preprocess(self, nb, resources):
        source = setup_source()
        first = nb.cells[0] if nb.cells else None
        if first is not None and first.cell_type == "code" and "setup" in first.metadata.get("tags", []):
            first.source = source
            first.metadata["tags"] = SETUP_TAGS + [t for t in first.metadata["tags"] if t not in SETUP_TAGS]
        else:
            cell = new_code_cell(source, metadata={"tags": list(SETUP_TAGS)})
            cell.id = "setup"
            nb.cells.insert(0, cell)
        return nb, resources
