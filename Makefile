# smarketing-warehouse: every target sets itself up (venv, locked dependencies) on first use.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.synced
UV_VERSION := $(shell sed -n 's/^uv==\([0-9.]*\).*/\1/p' requirements.lock)

$(STAMP): requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Python 3.11 is required, found " + sys.version.split()[0] + ": set PYTHON=/path/to/python3.11")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet "uv==$(UV_VERSION)"
	@$(VENV)/bin/uv pip sync --quiet --python $(PY) requirements.lock
	@$(PY) -c 'import pathlib, sysconfig; pathlib.Path(sysconfig.get_paths()["purelib"], "smarketing_warehouse.pth").write_text("$(CURDIR)\n")'
	@touch $@

.PHONY: help
help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'

.PHONY: install
install: $(STAMP) ## Create .venv and install the locked dependencies

.PHONY: lock
lock: $(STAMP) ## Re-resolve requirements.in into requirements.lock (Linux and macOS, Python 3.11)
	$(VENV)/bin/uv pip compile requirements.in --universal --python-version 3.11 -o requirements.lock

.PHONY: demo
demo: $(STAMP) ## Run one night end to end (sandbox APIs -> raw -> dbt -> contracts -> published marts) and print a summary
	@$(PY) -m warehouse demo

.PHONY: test
test: $(STAMP) ## Run the test suite (starts the embedded Postgres and sandbox servers itself)
	@$(PY) -m pytest

.PHONY: lint
lint: $(STAMP) ## ruff (lint and format check) and sqlfluff on the dbt project
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .
	@$(VENV)/bin/sqlfluff lint dbt_project/models dbt_project/macros

.PHONY: stop
stop: $(STAMP) ## Stop the embedded Postgres and the sandbox this checkout started
	@$(PY) -m warehouse stop

.PHONY: ui
ui: $(STAMP) ## Airflow standalone (UI, scheduler) with these DAGs on the local services
	@$(PY) -m warehouse ui

.PHONY: bench
bench: $(STAMP) ## Benchmarks, ratios measured in one run: DAG parse, sandbox throughput, loader vs COPY, 1M extract memory, rate budget, contracts vs build, incremental vs full build, impact report
	@$(PY) bench/dag_parse.py
	@$(PY) bench/sandbox_throughput.py
	@$(PY) bench/story_generation.py
	@$(PY) bench/loader_copy.py
	@$(PY) bench/extract_memory.py
	@$(PY) bench/rate_budget.py
	@$(PY) bench/contracts_vs_build.py
	@$(PY) bench/incremental_build.py
	@$(PY) bench/impact_report.py

.PHONY: night
night: $(STAMP) ## One night against the real APIs in your environment: make night DATE=YYYY-MM-DD
	@$(PY) -m warehouse night --date $(DATE)

.PHONY: docs
docs: $(STAMP) ## Generate the dbt docs site (models, columns, lineage, glossary) and serve it on localhost:8081
	@$(PY) -m warehouse docs

.PHONY: contracts-docs
contracts-docs: $(STAMP) ## Rebuild the contract results site (expectations/uncommitted/data_docs) and open it
	@$(PY) -m expectations docs --open

# MetricFlow (`mf`) in its own tool environment: dbt-metricflow pins structlog<26, which the main lock's
# Airflow 3.3.2 cannot share (tools/metricflow/README.md).
MF_VENV := .venv-metricflow
MF_STAMP := $(MF_VENV)/.synced
METRICS ?= mqls,leads,spend,cost_per_mql
GROUP_BY ?= metric_time__week,channel
mf_comma := ,

$(MF_STAMP): tools/metricflow/requirements.lock $(STAMP)
	@test -x $(MF_VENV)/bin/python || $(VENV)/bin/uv venv --quiet --python $(PYTHON) $(MF_VENV)
	@$(VENV)/bin/uv pip sync --quiet --python $(MF_VENV)/bin/python tools/metricflow/requirements.lock
	@touch $@

.PHONY: metrics
metrics: $(MF_STAMP) ## MetricFlow on the published marts: make metrics [METRICS=a,b GROUP_BY=metric_time__week,channel | MF="list metrics"]
	@$(PY) tools/metricflow/run.py $(or $(MF),query --metrics $(METRICS) --group-by $(GROUP_BY) --order $(firstword $(subst $(mf_comma), ,$(GROUP_BY))))

.PHONY: lock-metrics
lock-metrics: $(STAMP) ## Re-resolve tools/metricflow/requirements.in into tools/metricflow/requirements.lock
	$(VENV)/bin/uv pip compile tools/metricflow/requirements.in --universal --python-version 3.11 -o tools/metricflow/requirements.lock

.PHONY: impact
impact: $(STAMP) ## Impact report of the working tree's definitions vs a git ref: make impact BASE=main
	@$(PY) -m impact --base $(or $(BASE),main) $(if $(OUT),--out $(OUT))
