# Quick start: `make book` builds the HTML book, `make test` runs every test.
# Both create the virtual environment .venv from requirements.txt first (once, and again when it changes).
PYTHON ?= python3
OTHER_PYTHON ?= python3.13
OTHER_VENV = .venv-$(notdir $(OTHER_PYTHON))
MODELSCAN_PIN = $(shell grep -o '^modelscan==[^ ;]*' requirements.txt)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# How the targets below run pytest (a plain `pytest` runs in one process, so --pdb and --lf work there):
# every core, one file per worker (conftest.py says why), no .pytest_cache written by the long runs ...
PYTEST_PARALLEL := -n auto --dist loadfile -p no:cacheprovider
# ... and a failed browser test leaves a screenshot in test-results/<test id>/ (git-ignored, emptied at the start of
# each run). `make test TRACES=1` also keeps its Playwright trace there (.venv/bin/playwright show-trace
# test-results/<test id>/trace.zip): off by default, because recording every browser test's trace made the browser
# tests about 4x slower here (tests/book/test_book_quizzes.py on 2 cores: 141 s without, 546 s with).
PYTEST_TRACES := --screenshot only-on-failure --output test-results $(if $(TRACES),--tracing retain-on-failure)

.PHONY: help venv lab linkcheck book book-without-solutions test test-fast test-other-blas test-other-python refresh exercises bench serve

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 26

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $(STAMP)

venv: $(STAMP)  ## only create .venv from requirements.txt (about 1.7 GB)

lab: $(STAMP)  ## open the course in JupyterLab (on 127.0.0.1)
	$(VENV)/bin/jupyter lab --ip 127.0.0.1

linkcheck: $(STAMP)  ## check every external link (needs the network: book pages, quiz banks, claims.yml sources)
	$(PY) -m coursekit.linkcheck

book: $(STAMP)  ## build the HTML book into _build/html (warnings are errors)
	$(PY) -m coursekit book

book-without-solutions: $(STAMP)  ## the same, leaving out solutions/ (for instructors)
	$(PY) -m coursekit book --without-solutions

test: $(STAMP)  ## every test, with the network cut (banks, checks, exercises, strict nbval, book, browser)
	$(PY) -m coursekit.offline $(PY) -m pytest $(PYTEST_PARALLEL) $(PYTEST_TRACES)

test-fast: $(STAMP)  ## the quick loop: banks, unit and checks tests (no kernel, no book build, no browser), network cut
	@# --dist load, not loadfile: these tests keep no state across a file, and spreading them one by one balances the workers
	$(PY) -m coursekit.offline $(PY) -m pytest -n auto --dist load tests/unit tests/checks

test-other-blas: $(STAMP)  ## strict nbval of chapters and solutions again, under another OpenBLAS kernel than this CPU's
	$(PY) -m coursekit.blas run $(PY) -m coursekit.offline $(PY) -m pytest $(PYTEST_PARALLEL) chapters solutions

test-other-python:  ## strict nbval of chapters and solutions on $(OTHER_PYTHON) (Colab's Python), in .venv-$(OTHER_PYTHON)
	@$(OTHER_PYTHON) -c "import sys" >/dev/null 2>&1 || { echo "$(OTHER_PYTHON) not found or does not run: install it, or give its path: make test-other-python OTHER_PYTHON=/path/to/python3.12"; exit 1; }
	test -x $(OTHER_VENV)/bin/python || $(OTHER_PYTHON) -m venv $(OTHER_VENV)
	$(OTHER_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@# modelscan declares Requires-Python <3.13 though its code runs there, so requirements.txt skips it on 3.13: install
	@# the pinned release anyway (its dependencies are pinned already), as the README tells learners on 3.13 to do
	if $(OTHER_VENV)/bin/python -c 'import sys; sys.exit(sys.version_info < (3, 13))'; then \
	  $(OTHER_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --ignore-requires-python --no-deps $(MODELSCAN_PIN); fi
	$(OTHER_VENV)/bin/python -m coursekit.offline $(OTHER_VENV)/bin/python -m pytest $(PYTEST_PARALLEL) chapters solutions

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
