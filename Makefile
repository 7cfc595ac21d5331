# Daily commands. `make run` and `make test` each do their whole set-up on a fresh Debian 12 machine.
SHELL := /bin/bash
VENV := .venv/bin
HONGTU := $(VENV)/hongtu
HOST ?= 127.0.0.1
PORT ?= 5000
# An explicit DATABASE_URL wins; otherwise the embedded cluster under var/pg is used.
DB_ENV = DATABASE_URL="$${DATABASE_URL:-$$(cat var/pg/url)}"

.PHONY: setup setup-test db db-stop migrate load-demo run test test-shared lint format bench clean-db

setup:
	@scripts/setup.sh

setup-test:
	@scripts/setup.sh --test

db:
	@if [ -z "$$DATABASE_URL" ]; then scripts/db.sh start; fi

db-stop:
	@scripts/db.sh stop

migrate: setup db
	@$(DB_ENV) $(HONGTU) db upgrade

load-demo: migrate
	@$(DB_ENV) $(HONGTU) demo load

run: load-demo
	@echo "Hongtu: http://$(HOST):$(PORT)/"
	@$(DB_ENV) $(HONGTU) run --host $(HOST) --port $(PORT)

lint: setup
	@$(VENV)/ruff check app tests scripts
	@$(VENV)/ruff format --check app tests scripts

format: setup
	@$(VENV)/ruff check --fix app tests scripts
	@$(VENV)/ruff format app tests scripts

test: setup-test db lint
	@TEST_DATABASE_URL="$${TEST_DATABASE_URL:-$${DATABASE_URL:-$$(cat var/pg/url)}}" $(VENV)/pytest -m "not shared_data"

test-shared: setup-test db
	@TEST_DATABASE_URL="$${TEST_DATABASE_URL:-$${DATABASE_URL:-$$(cat var/pg/url)}}" $(VENV)/pytest -m shared_data

# City scale by default; BENCH_ARGS="--scale province" for Fujian. Not part of `make test`.
bench: setup db
	@$(DB_ENV) scripts/bench.sh $(BENCH_ARGS)
