# Quick start: `make book` builds the HTML book, `make test` runs every test.
# Both create the virtual environment .venv from requirements.txt first (once, and again when it changes).
PYTHON ?= python3
OTHER_PYTHON ?= python3.12
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: help venv lab linkcheck book book-without-solutions test test-other-blas test-other-python refresh exercises bench serve

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 26

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $(STAMP)

venv: $(STAMP)  ## only create .venv from requirements.txt (about 1.5 GB)

lab: $(STAMP)  ## open the course in JupyterLab (on 127.0.0.1)
	$(VENV)/bin/jupyter lab --ip 127.0.0.1

linkcheck: $(STAMP)  ## check every external link (needs the network: book pages, quiz banks, claims.yml sources)
	$(PY) -m coursekit.linkcheck

book: $(STAMP)  ## build the HTML book into _build/html (warnings are errors)
	$(PY) -m coursekit book

book-without-solutions: $(STAMP)  ## the same, leaving out solutions/ (for instructors)
	$(PY) -m coursekit book --without-solutions

test: $(STAMP)  ## every test, with the network cut (banks, checks, exercises, strict nbval, book, browser)
	$(PY) -m coursekit.offline $(PY) -m pytest

test-other-blas: $(STAMP)  ## strict nbval of chapters and solutions again, under another OpenBLAS kernel than this CPU's
	$(PY) -m coursekit.blas run $(PY) -m coursekit.offline $(PY) -m pytest chapters solutions

test-other-python:  ## strict nbval of chapters and solutions on $(OTHER_PYTHON) (Colab's Python), in .venv-other
	@command -v $(OTHER_PYTHON) >/dev/null || { echo "$(OTHER_PYTHON) not found: install it, or run make test-other-python OTHER_PYTHON=python3.13"; exit 1; }
	test -x .venv-other/bin/python || $(OTHER_PYTHON) -m venv .venv-other
	.venv-other/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	.venv-other/bin/python -m coursekit.offline .venv-other/bin/python -m pytest chapters solutions

refresh: $(STAMP)  ## re-execute chapters and solutions in place, regenerate exercises
	$(PY) -m coursekit refresh

exercises: $(STAMP)  ## regenerate exercises/ from solutions/
	$(PY) -m coursekit exercises

bench: $(STAMP)  ## measure notebooks (1 core), test suite, book builds, env size -> benchmarks/results/latest.md
	$(PY) -m coursekit.benchmark

serve:  ## serve the built book (_build/html, from `make book`) on http://127.0.0.1:8000/ (another port: make serve PORT=8001)
	@test -f _build/html/index.html || { echo "No _build/html/index.html: run 'make book' first."; exit 1; }
	@echo "The book is at http://127.0.0.1:$(or $(PORT),8000)/ (Ctrl-C stops the server)"
	@$(PYTHON) -m http.server --bind 127.0.0.1 --directory _build/html $(or $(PORT),8000)
