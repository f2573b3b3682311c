"""The course as a path: chapters, prerequisites and minutes (``path.yml``), and the path map drawn from them."""

from coursekit.syllabus.data import Chapter, CoursePath, PathError, load_path, placement_payload, toc_chapters

__all__ = ["Chapter", "CoursePath", "PathError", "load_path", "placement_payload", "toc_chapters", "path_map"]


def path_map():
    """The path map (an SVG picture of chapters and prerequisites), for display in a notebook."""
    from coursekit.syllabus.pathmap import PathMap

    return PathMap(load_path())
