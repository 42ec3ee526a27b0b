# hotelagg — developer and CI entry points (GNU make).
# `make` alone prints the targets. Environment variables (HOTELAGG_*) pass
# through to every command unchanged, e.g. HOTELAGG_REQUIRE_SERVICES=1 make test.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

PY ?= python3
VENV = .venv
PYTHON = $(VENV)/bin/python
STAMP = $(VENV)/.installed
# Most of the suite waits (real processes started and killed, servers, sandboxes), so workers pay even on
# two cores. loadgroup: tests marked xdist_group("...") share one worker, the rest go wherever one is free.
# On 2 cores shared with other work (load 4-8): serial 775 s, -n 3 563 s and 377 s; -n 4 430 s but with
# three timing-bound tests failing (a SIGTERM past its grace period, a convergence bound), so 3.
# PYTEST_ARGS replaces the whole default, workers included: `make test PYTEST_ARGS=-q` runs serially.
PYTEST_WORKERS ?= -n 3 --dist loadgroup
PYTEST_ARGS ?= -q -rfE $(PYTEST_WORKERS)
ARGS ?=

BUF_VERSION = 1.75.0
BUF = .tools/node_modules/.bin/buf

# protoc over every .proto under protos/ (sorted), writing into $(1) (an absolute path).
define protoc
cd protos && $(abspath $(PYTHON)) -m grpc_tools.protoc -I. \
	--python_out="$(1)" --pyi_out="$(1)" --grpc_python_out="$(1)" \
	--plugin=protoc-gen-mypy_grpc=$(abspath $(VENV))/bin/protoc-gen-mypy_grpc --mypy_grpc_out="$(1)" \
	$$(find . -name '*.proto' | LC_ALL=C sort)
endef

.PHONY: help venv generate check-generated tools lint breaking test migrate seed serve run bench clean distclean

help: ## print this list
	@echo "usage: make TARGET   (PY=$(PY), PYTEST_ARGS='$(PYTEST_ARGS)', ARGS passed to serve/run)"
	@awk -F ':.*## ' '/^[a-z-]+:.*## / { printf "  %-16s %s\n", $$1, $$2 }' $(firstword $(MAKEFILE_LIST))

venv: $(STAMP) ## create .venv and install the project with dev deps (again only when pyproject.toml changes)

$(STAMP): pyproject.toml
	@test -x $(PYTHON) || { echo "creating $(VENV) with $(PY)"; $(PY) -m venv $(VENV); }
	$(PYTHON) -m pip install --disable-pip-version-check --progress-bar off --upgrade pip
	$(PYTHON) -m pip install --disable-pip-version-check --progress-bar off -e ".[dev]"
	@touch $@

generate: $(STAMP) ## regenerate generated/hotelagg from protos/
	rm -rf generated/hotelagg
	mkdir -p generated
	$(call protoc,$(CURDIR)/generated)

check-generated: $(STAMP) ## fail if generated/hotelagg differs from what protos/ generate
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	if ! err=$$($(call protoc,$$tmp) 2>&1); then echo "$$err" >&2; exit 1; fi; \
	if out=$$(diff -rq -x __pycache__ -x '*.pyc' generated/hotelagg "$$tmp/hotelagg" 2>&1); then \
		echo "check-generated: generated/hotelagg is up to date"; \
	else \
		echo "check-generated: generated/hotelagg does not match protos/ (run 'make generate' and commit):" >&2; \
		sed -E -e "s|^Files (generated/[^ ]*) and .* differ$$|  changed: \1|" \
			-e "s|^Only in $$tmp/hotelagg(/?[^:]*): (.*)$$|  missing: generated/hotelagg\1/\2|" \
			-e "s|^Only in (generated/[^:]*): (.*)$$|  extra:   \1/\2|" \
			-e "s|$$tmp|<fresh>|g" <<<"$$out" >&2; \
		exit 1; \
	fi

tools: $(BUF) ## install buf (pinned) from npm into .tools/

$(BUF):
	npm install --prefix .tools --no-audit --no-fund @bufbuild/buf@$(BUF_VERSION)
	@test -x $@ || { echo "tools: $@ missing after npm install" >&2; exit 1; }

# ruff lints (no `ruff format`: the code keeps its own wrapping); mypy's files and strictness are in
# pyproject.toml.
lint: $(BUF) $(STAMP) ## buf lint + buf format check of protos/, ruff check and mypy of the Python
	$(BUF) lint
	$(BUF) format -d --exit-code
	$(VENV)/bin/ruff check .
	$(PYTHON) -m mypy

# Compares the working tree's protos with those on the local branch `main`
# (needs at least one commit there); run it on a feature branch before merging.
breaking: $(BUF) ## buf breaking against the local branch main
	$(BUF) breaking --against '.git#branch=main'

test: venv check-generated ## run pytest (PYTEST_ARGS, default -q -rfE on PYTEST_WORKERS workers)
	@echo "$(PYTHON) -m pytest $(PYTEST_ARGS)"; \
	rc=0; $(PYTHON) -m pytest $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests (exit 5); that must never happen" >&2; fi; \
	exit $$rc

migrate: $(STAMP) ## apply database migrations
	$(PYTHON) -m servers migrate

seed: $(STAMP) ## load demo data
	$(PYTHON) -m servers seed

serve: $(STAMP) ## serve the gRPC services (ARGS, e.g. ARGS='--service booking')
	$(PYTHON) -m servers serve $(ARGS)

run: venv ## embedded mode: migrate, seed, then run everything in one process
	$(PYTHON) -m servers migrate
	$(PYTHON) -m servers seed
	$(PYTHON) -m servers run $(ARGS)

bench: $(STAMP) ## run the benchmarks
	$(PYTHON) -m bench

clean: ## remove var/, the test and lint caches and __pycache__ (keeps .venv, .tools)
	rm -rf var .pytest_cache .ruff_cache .mypy_cache
	find . \( -path ./.venv -o -path ./.tools -o -path ./.git \) -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +

distclean: clean ## clean, and also remove .venv, .tools and *.egg-info
	rm -rf $(VENV) .tools *.egg-info
