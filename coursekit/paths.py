"""Renamed to :mod:`coursekit.layout` (files and folders of the course); this alias goes once nothing uses it."""

from coursekit.layout import *  # noqa: F401,F403
from coursekit.layout import QUIZ_ASSETS, error_at, scratch_dir  # noqa: F401
