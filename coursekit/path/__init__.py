"""Renamed to :mod:`coursekit.syllabus` (the learning path, path.yml); this alias goes once nothing uses it."""

from coursekit.syllabus import *  # noqa: F401,F403
from coursekit.syllabus import path_map  # noqa: F401
