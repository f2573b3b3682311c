"""Chapter code that exercises, checks and later chapters reuse, generated from the chapters themselves.

``chNN.py`` holds the cells of ``chapters/NN_*.ipynb`` tagged ``export``, as they are, after the chapter's import
lines they need. Never edit those files: edit the chapter's cell, then run ``python -m coursekit exports``
(``--check`` says whether they are in step; a test runs it).
"""
