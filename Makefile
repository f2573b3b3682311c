# Quick start: `make book` builds the HTML book, `make test` runs every test.
# Both create the virtual environment .venv from requirements.txt first (once, and again when it changes).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: book book-without-solutions test refresh exercises bench

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $(STAMP)

book: $(STAMP)  ## build the HTML book into _build/html (warnings are errors)
	$(PY) -m coursekit book

book-without-solutions: $(STAMP)  ## the same, leaving out solutions/ (for instructors)
	$(PY) -m coursekit book --without-solutions

test: $(STAMP)  ## every test, with the network cut (banks, checks, exercises, strict nbval, book, browser)
	$(PY) -m coursekit.offline $(PY) -m pytest

refresh: $(STAMP)  ## re-execute chapters and solutions in place, regenerate exercises
	$(PY) -m coursekit refresh

exercises: $(STAMP)  ## regenerate exercises/ from solutions/
	$(PY) -m coursekit exercises

bench: $(STAMP)  ## measure notebooks (1 core), test suite, book builds, env size -> benchmarks/results/latest.md
	$(PY) -m coursekit.benchmark
