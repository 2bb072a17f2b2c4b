# Two commands set everything up:  make demo  and  make test.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
STAMP_RUN  := $(VENV)/.installed-run
STAMP_TEST := $(VENV)/.installed-test
STAMP_DOCS := $(VENV)/.installed-docs

.PHONY: demo test lint bench docs browser clean install

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP_RUN): pyproject.toml | $(PY)
	$(PIP) install -q -e .
	touch $@

$(STAMP_TEST): pyproject.toml | $(PY)
	$(PIP) install -q -e ".[test]"
	touch $@ $(STAMP_RUN)

install: $(STAMP_RUN)

## make demo: install mlekit and walk the six ideas on shipped real data (writes demo.html)
demo: $(STAMP_RUN)
	$(VENV)/bin/mlekit demo --out demo.html

## make test: install the test extras and run lint + the whole suite
test: $(STAMP_TEST) browser
	$(PY) -m ruff check src tests benchmarks examples
	$(PY) -m pytest -n 2 -q

# The report's browser test needs Debian's chromium, and the test that every derivation's
# LaTeX compiles needs pdflatex (texlive-latex-base); install them when we can (root +
# apt), otherwise those tests are skipped with their reason.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "chromium could not be installed: the browser test will be skipped"; \
	  else echo "no chromium and no root apt-get: the browser test will be skipped"; fi; }
	@command -v pdflatex >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends texlive-latex-base >/dev/null) \
	      || echo "pdflatex could not be installed: the LaTeX compile test will be skipped"; \
	  else echo "no pdflatex and no root apt-get: the LaTeX compile test will be skipped"; fi; }

$(STAMP_DOCS): pyproject.toml | $(PY)
	$(PIP) install -q -e ".[docs]"
	touch $@ $(STAMP_RUN)

## make docs: build the documentation offline into docs/_build/html
docs: $(STAMP_DOCS)
	$(PY) -m sphinx -W --keep-going -b html docs docs/_build/html
	@echo "open docs/_build/html/index.html"

## make bench: mlekit against its peers on the same data (prints ratios, saves bench-results/)
bench: $(STAMP_TEST)
	$(PIP) install -q -e ".[bench]"
	$(PY) benchmarks/run.py --size full

lint: $(STAMP_TEST)
	$(PY) -m ruff check src tests benchmarks examples

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info .pytest_cache demo.html
