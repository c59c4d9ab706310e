# riskkit — entry points. `make` lists them.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
LOCK := constraints.txt
EXTRAS := notebooks,dev,dask,docs
STAMP := $(VENV)/.installed-$(EXTRAS)
BENCH_STAMP := $(VENV)/.installed-bench
PIP := $(BIN)/python -m pip --disable-pip-version-check --quiet
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: help setup report reports screenshot test verify test-fast lab lint format bench lock data docs clean distclean

help: ## list the targets
	@echo "riskkit — make targets:"
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | awk -F'\t' '{printf "  %-10s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "riskkit needs Python >= 3.11, found " + sys.version'
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml $(LOCK)
	$(PIP) install -c $(LOCK) pip hatchling editables
	$(PIP) install -c $(LOCK) --no-build-isolation -e ".[$(EXTRAS)]"
	@touch $@

setup: $(STAMP) ## create .venv and install riskkit with the pinned versions (constraints.txt)

report: $(STAMP) ## run the main risk report on the bundled data -> build/risk_report/ (reports/ holds the committed copy)
	$(BIN)/riskkit report notebooks/risk_report.ipynb --out build

reports: $(STAMP) ## regenerate every committed example report (all notebooks; the risk report on stocks too)
	@git diff --quiet HEAD -- . ':(exclude)reports' || echo "make reports: the tree has uncommitted changes outside reports/; the manifests will say git_dirty: true (commit first)" >&2
	$(BIN)/riskkit report --all notebooks --out reports
	$(BIN)/riskkit report notebooks/risk_report.ipynb -f notebooks/risk_report_sp500.yaml --name risk_report_sp500 --out reports

screenshot: $(STAMP) ## headless Chromium screenshot of the main report's HTML -> build/risk_report.png
	$(BIN)/python -c 'from riskkit.reports import screenshot; print(screenshot("reports/risk_report/risk_report.html", "build/risk_report.png"))'

test: $(STAMP) ## run the whole suite: unit tests, notebooks, committed reports re-run and compared (riskkit verify and nbval)
	$(BIN)/python -m pytest tests riskkit --doctest-modules --ignore-glob='*/__main__.py'
	$(BIN)/python -m pytest --nbval --nbval-current-env --nbval-sanitize-with reports/nbval-sanitize.cfg -p no:cacheprovider $(wildcard reports/*/*.ipynb)

verify: $(STAMP) ## re-run every committed report and compare its outputs (numbers to 1e-6 relative)
	$(BIN)/riskkit verify $(wildcard reports/*/)

test-fast: $(STAMP) ## unit tests only, without executing notebooks
	$(BIN)/python -m pytest tests -m "not slow"

docs: $(STAMP) ## API reference, report gallery, README as landing page -> docs/_build/html (offline, warnings are errors)
	$(BIN)/python -m sphinx -b html -W --keep-going -E -q docs docs/_build/html
	@echo "docs written: docs/_build/html/index.html"

lab: $(STAMP) ## JupyterLab on notebooks/
	$(BIN)/jupyter lab notebooks/

lint: $(STAMP) ## ruff on the package, tests, benchmarks and notebooks
	$(BIN)/ruff check riskkit tests benchmarks notebooks data/scripts
	$(BIN)/ruff format --check riskkit tests benchmarks

format: $(STAMP) ## ruff format and fix
	$(BIN)/ruff format riskkit tests benchmarks
	$(BIN)/ruff check --fix riskkit tests benchmarks notebooks

$(BENCH_STAMP): $(STAMP)
	$(PIP) install -c $(LOCK) --no-build-isolation -e ".[$(EXTRAS),bench]"
	@touch $@

bench: $(BENCH_STAMP) ## benchmarks against the peer libraries -> reports/benchmarks.md
	$(BIN)/python benchmarks/run.py

data: $(STAMP) ## regenerate the simulated dataset (byte-identical to the bundled file)
	$(BIN)/riskkit datasets --regenerate data

lock: $(BENCH_STAMP) ## re-pin every installed version into constraints.txt
	{ echo "# Exact versions the tests and committed reports were produced with (Python 3.11, Linux x86_64)."; \
	  echo "# Installed by the Makefile as constraints; refresh with 'make lock'."; \
	  $(BIN)/python -m pip freeze --exclude-editable --all | grep -v -E '^(riskkit|setuptools)=='; } > $(LOCK)

clean: ## remove caches and build artefacts (keeps .venv and reports/)
	rm -rf build dist *.egg-info .pytest_cache .ruff_cache .hypothesis reports/.tmp-* reports/*.failed docs/_build
	find . -name __pycache__ -type d -prune -not -path './$(VENV)/*' -exec rm -rf {} +

distclean: clean ## also remove .venv
	rm -rf $(VENV)
