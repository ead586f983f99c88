# Sidak: the verbs a data scientist types. `make help` lists them.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON_SYSTEM ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
SIDAK := $(VENV)/bin/sidak
DATA ?= data/raw/sim
SEED ?= 0
MONTHS ?= 6
OFFICES ?= 6
VOLUME ?= 600
SCORES ?= reports/scores.csv
HOST ?= 127.0.0.1
PORT ?= 8000
NOTEBOOKS_OUT ?= reports/notebooks

.PHONY: help all install install-dev browser data validate entities train promote score evaluate report serve test lint format bench bench-detection bench-scale bench-adbench bench-api notebooks nbstripout clean

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-16s %s\n", $$1, $$2}'

all: install data train score evaluate report ## Set up and run the main job on embedded defaults (simulated data, SQLite, local MLflow)

$(VENV)/.installed: pyproject.toml
	$(PYTHON_SYSTEM) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed pyproject.toml
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed ## Create .venv and install Sidak
install-dev: $(VENV)/.installed-dev ## Install Sidak with test, lint and notebook tools

data: install ## Simulate a world into DATA (SEED, MONTHS, OFFICES, VOLUME) with truth in DATA/truth
	$(SIDAK) simulate $(DATA) --seed $(SEED) --months $(MONTHS) --offices $(OFFICES) --volume $(VOLUME)

validate: install ## Check DATA against the data contract
	$(SIDAK) validate $(DATA)

train: install ## Validate, fit, evaluate and register a model from DATA (tracked in MLflow)
	$(SIDAK) train $(DATA)

promote: install ## Set the MLflow alias 'champion' on model VERSION (make promote VERSION=3)
	$(SIDAK) promote $(VERSION)

compare: install ## Champion vs challenger on DATA (CHAMPION, CHALLENGER: model refs; default the champion vs the newest)
	$(SIDAK) compare $(DATA) $(if $(CHAMPION),--champion $(CHAMPION)) $(if $(CHALLENGER),--challenger $(CHALLENGER))

score: install ## Score every transaction in DATA with the champion (else newest) model into SCORES
	$(SIDAK) score $(DATA) --output $(SCORES)

evaluate: install ## Evaluate SCORES against DATA/truth: precision@k, AP, per-scheme recall, plots
	$(SIDAK) evaluate $(DATA) --scores $(SCORES)

entities: install ## Rank officers (LEVEL=office for offices) in DATA, optionally for START..END
	$(SIDAK) entities $(DATA) --level $(or $(LEVEL),officer) $(if $(START),--start $(START)) $(if $(END),--end $(END))

report: install ## Write the evaluation as a standalone HTML report under reports/
	$(SIDAK) report $(DATA) --scores $(SCORES)

notebooks: install-dev ## Run the numbered notebooks headless on DATA (executed copies in NOTEBOOKS_OUT)
	@test -d $(DATA) || $(MAKE) data
	@mkdir -p $(NOTEBOOKS_OUT)
	@for notebook in notebooks/[0-9][0-9]-*.ipynb; do \
	  echo "papermill $$notebook -> $(NOTEBOOKS_OUT)/$$(basename $$notebook)"; \
	  $(VENV)/bin/papermill --cwd notebooks --kernel python3 --no-progress-bar --log-level WARNING \
	    $$notebook $(NOTEBOOKS_OUT)/$$(basename $$notebook) \
	    -p data_dir $(abspath $(DATA)) -p work_dir $(abspath $(NOTEBOOKS_OUT))/work || exit 1; \
	done

nbstripout: install-dev ## Strip notebook outputs on every commit (nbstripout as a local git filter)
	$(VENV)/bin/nbstripout --install

serve: install ## Run the scoring API (uvicorn) on HOST:PORT
	$(SIDAK) serve --host $(HOST) --port $(PORT)

browser: ## Install Debian's chromium for the browser tests (skipped when present)
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "chromium could not be installed: browser tests will be skipped"; \
	  else echo "chromium not found and cannot apt-get install it: browser tests will be skipped"; fi; }

test: install-dev browser ## Install test tools (and chromium) and run the whole test suite
	$(PY) -m pytest

lint: install-dev ## ruff (lint + format check) and mypy
	$(VENV)/bin/ruff check model service tests bench
	$(VENV)/bin/ruff format --check model service tests bench
	$(VENV)/bin/mypy

format: install-dev ## Apply ruff's fixes and formatting
	$(VENV)/bin/ruff check --fix model service tests bench
	$(VENV)/bin/ruff format model service tests bench

bench-detection: install-dev ## Detection metrics vs baselines on several simulated worlds
	$(PY) bench/detection.py

bench-scale: install-dev ## Fit and score ~1M transactions: times (medians, vs an IsolationForest baseline) and peak memory
	$(PY) bench/detection.py --big --skip-detection

bench-adbench: install-dev ## Sidak's engine vs PyOD detectors on ADBench data sets
	$(PY) bench/adbench.py --data ../shared/data/adbench --output reports/adbench.csv

bench-api: install-dev ## API throughput and latency as ratios to in-process scoring (python and wrk clients)
	@command -v wrk >/dev/null 2>&1 || { [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1 \
	  && (apt-get install -y -qq wrk >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq wrk >/dev/null)); } \
	  || echo "wrk not available: skipping the wrk-driven run"
	@if command -v wrk >/dev/null 2>&1; then $(PY) bench/api.py --load-generator wrk; fi
	$(PY) bench/api.py --load-generator python

bench: bench-detection bench-scale bench-adbench bench-api ## All benchmarks

clean: ## Remove generated data, models, runs and reports (keeps .venv)
	rm -rf data/raw data/interim data/processed models mlruns reports var
