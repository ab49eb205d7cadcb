# SimShop's front door. `make help` lists the targets.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
WORKERS ?= 2
FLASK := $(BIN)/flask --app simshop
TRANSLATIONS := simshop/translations

# pip runs only when a requirements file changed since the last install (stamp files).
RUNTIME_STAMP := $(VENV)/.installed-runtime
DEV_STAMP := $(VENV)/.installed-dev

.DEFAULT_GOAL := help
.PHONY: help run test lint format bench translations init-db clean

help:
	@echo "make run           set up .venv and instance/, migrate, seed demo accounts, serve on http://$(HOST):$(PORT)"
	@echo "make test          run the whole test suite on every core, in random order"
	@echo "make lint          ruff check + ruff format --check + lint-imports (layer contracts)"
	@echo "make format        ruff format + ruff check --fix"
	@echo "make bench         run bench/run_all.py (if bench/ exists)"
	@echo "make translations  extract, update and compile the message catalogs"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(RUNTIME_STAMP): requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --disable-pip-version-check -q -r requirements.txt
	touch $@

$(DEV_STAMP): requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --disable-pip-version-check -q -r requirements-dev.txt
	touch $(RUNTIME_STAMP) $@

# The app creates instance/ and instance/secret_key (0600) on first start.
init-db: $(RUNTIME_STAMP)
	$(FLASK) init-db

# gunicorn with sync workers; every worker shares instance/secret_key, so sessions
# survive whichever worker answers. No control socket: it would live in ~/.gunicorn and
# clash between two checkouts.
run: init-db
	$(FLASK) seed-demo
	$(FLASK) seed-demo-game
	@echo "SimShop on http://$(HOST):$(PORT)  (Ctrl-C to stop)"
	$(BIN)/gunicorn --workers $(WORKERS) --bind $(HOST):$(PORT) --access-logfile - \
		--no-control-socket 'simshop.wsgi:app'

# pytest-xdist: one worker per core (each with its own temp folders, template databases,
# PostgreSQL server and live server); the browser tests and the process-fleet tests each stay
# on one worker (xdist_group, --dist loadgroup). pytest-randomly shuffles the order and
# prints the seed (repeat an order with -p randomly --randomly-seed=N; file order: -p no:randomly).
# PYTEST_ARGS adds options: CI pins the shuffle's seed so a red run can be replayed exactly.
# Bytecode is written (__pycache__/, gitignored) even where PYTHONDONTWRITEBYTECODE is set, as
# on this project's machines: without it every worker and every server the tests start
# compiles the app and rewrites the test modules' asserts again on each run (collecting the
# suite: 11.6 s instead of 4.1 s per worker).
PYTEST_ARGS ?=
test: $(DEV_STAMP)
	PYTHONDONTWRITEBYTECODE= $(BIN)/pytest -n auto --dist loadgroup $(PYTEST_ARGS)

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy simshop/engine
	$(BIN)/lint-imports

format: $(DEV_STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(RUNTIME_STAMP)
	@if [ -f bench/run_all.py ]; then \
		$(BIN)/python bench/run_all.py; \
	else \
		echo "No bench/run_all.py yet: nothing to run."; \
	fi

# Extract every marked string, merge it into the catalogs, then compile the .mo files
# (which are committed, so a fresh clone needs no build step).
translations: $(DEV_STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k N_ --sort-by-file \
		--project SimShop --copyright-holder "SimShop contributors" \
		-o $(TRANSLATIONS)/messages.pot simshop
	@if [ -f $(TRANSLATIONS)/zh_Hans_CN/LC_MESSAGES/messages.po ]; then \
		$(BIN)/pybabel update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) \
			-l zh_Hans_CN --no-fuzzy-matching --ignore-obsolete; \
	else \
		$(BIN)/pybabel init -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) -l zh_Hans_CN; \
	fi
	$(BIN)/pybabel compile -d $(TRANSLATIONS) --statistics

clean:
	rm -rf .pytest_cache .ruff_cache test-artifacts
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
