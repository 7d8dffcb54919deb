# Everything runs from .venv/ in the repo root; the first target that needs it creates it.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
TOOLS_VENV := .venv-tools
CONFIG ?=

.PHONY: install install-dev synth test test-unit bench rehearse clean

install: $(VENV)/.runtime-installed
install-dev: $(VENV)/.dev-installed $(TOOLS_VENV)/.installed node_modules/.installed

$(VENV)/.runtime-installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev-installed: $(VENV)/.runtime-installed requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

$(TOOLS_VENV)/.installed: requirements-tools.txt
	test -x $(TOOLS_VENV)/bin/python || $(PYTHON) -m venv $(TOOLS_VENV)
	$(TOOLS_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-tools.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

## synth: synthesize the stacks for CONFIG (default: $$CLUSTER_CONFIG or config/default.yaml) into cdktf.out/
synth: install
	$(PY) main.py $(if $(CONFIG),--config $(CONFIG))

## test: the whole suite (unit, synth assertions, real terraform validate)
test: install-dev
	$(PY) -m pytest

## test-unit: only the fast tests
test-unit: install-dev
	$(PY) -m pytest -m "not integration"

## bench: synth time and memory against an ordinary-import baseline (RUNS=5; RECORD=1 appends to BENCHMARKS.md)
bench: install
	$(PY) tools/bench.py --runs $(or $(RUNS),5) $(if $(RECORD),--record)

## rehearse: deploy, re-plan and destroy the AWS stacks on moto, offline (CLUSTER_CONFIG or CONFIG picks the file)
rehearse: $(VENV)/.dev-installed node_modules/.installed
	$(PY) tools/rehearse.py $(if $(CONFIG),--config $(CONFIG))

clean:
	rm -rf cdktf.out .pytest_cache .rehearsal
