# musicrec — everyday commands. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV ?= .venv
PY := $(VENV)/bin/python
STACK := $(PY) -m tools.stack
PYTEST_ARGS ?=

.PHONY: help setup up down status test test-fast demo ingest bench-ingest bench-train bench-recovery bench-api bench-quality bench-scale segments clean

help: ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

setup: ## install everything needed (idempotent): venv, Redis, MinIO, Spark's S3A jars
	@tools/setup.sh

up: setup ## start Redis and MinIO in the background (data under .local/)
	@$(STACK) up redis minio

down: ## stop what `make up` / `make demo` started
	@$(STACK) down redis minio worker ingest api

status: ## show which local services are running
	@$(STACK) status redis minio worker ingest api || true

test: setup ## run the whole test suite against real Redis, MinIO and Spark
	@$(PY) -m pytest $(PYTEST_ARGS)

test-fast: setup ## the suite without the slow marker
	@$(PY) -m pytest -m "not slow" $(PYTEST_ARGS)

demo: setup ## the whole pipeline: stack up, generate + ingest a catalog, train, serve
	@$(PY) -m tools.demo

ingest: ## ingest a catalog into the local stack: make ingest FILE=catalog.csv (a CSV, a folder of parts or s3://bucket/key; ARGS=--no-train)
	@test -n "$(FILE)" || { echo "make ingest: name the catalog, e.g. make ingest FILE=path/to/catalog.csv (a CSV file, a folder of parts or s3://bucket/key)" >&2; exit 2; }
	@$(MAKE) --no-print-directory up
	@eval "$$($(STACK) env)" && $(PY) -m services.ingest "$(FILE)" $(ARGS)

bench-ingest: up ## benchmark ingest of a generated 1,160,000-row catalog (wall time, rows/s, peak memory, stages)
	@$(PY) bench/ingest.py

bench-train: up ## benchmark a training job on 1,160,000 generated tracks (stage times, peak memory)
	@$(PY) bench/train.py

segments: up ## the curves behind the automatic k on the real and demo catalogs -> docs/segments.md
	@$(PY) bench/segments.py

bench-recovery: up ## measure how soon a SIGKILLed worker's training job runs again (target < 60 s)
	@$(PY) bench/recovery.py

bench-api: setup ## benchmark the API with wrk on a 1,160,000-track model against a bare FastAPI app (req/s, latency, memory, swaps, tuned queries, search)
	@command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
	@$(PY) bench/api.py

bench-scale: up ## how each cost grows: ingest, training, bundle, API load and latency on 100k, 1.16M and 5M generated tracks (SIZES=100000,...,10000000 for others), fitted exponents; ingest on a 2-worker Spark cluster
	@command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
	@$(PY) bench/scale.py $(if $(SIZES),--sizes $(SIZES))

bench-quality: up ## genre precision@5 of the recommendations on the real catalogs in ../shared/datasets, against a plain kNN
	@$(PY) bench/quality.py

clean: down ## stop the stack and delete local data (keeps the download cache)
	rm -rf .local
