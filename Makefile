# PolicyDesk — `make demo` to try it, `make test` before every commit.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_URL ?= postgres://postgres@127.0.0.1:5432/policydesk
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: demo serve test test-pg e2e lint types migrations-check messages docs bench clean venv

venv: $(STAMP)

# Fast path: uv installed with pip into the venv; fall back to plain pip if that fails.
$(STAMP): requirements/dev.txt requirements/base.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@if $(BIN)/python -m pip install -q uv==0.13.8 && \
	    $(BIN)/uv pip install -q --python $(BIN)/python -r requirements/dev.txt && \
	    $(BIN)/uv pip install -q --python $(BIN)/python --no-deps -e . ; then \
	  echo "installed with uv"; \
	else \
	  echo "uv unavailable, installing with pip"; \
	  $(BIN)/python -m pip install -q -r requirements/dev.txt && \
	  $(BIN)/python -m pip install -q --no-deps -e . ; \
	fi
	@touch $(STAMP)

demo: venv
	@mkdir -p var
	$(BIN)/policydesk migrate --noinput
	$(BIN)/policydesk setup
	$(BIN)/policydesk demo load
	@$(BIN)/policydesk demo logins
	@echo "Open http://127.0.0.1:8000/ — Ctrl-C stops the server, worker and scheduler."
	$(BIN)/policydesk run --host 127.0.0.1 --port 8000

serve: venv
	$(BIN)/policydesk run --host 127.0.0.1 --port 8000

lint: venv
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

types: venv
	$(BIN)/mypy

migrations-check: venv
	POLICYDESK_SQLITE_PATH=:memory: $(BIN)/policydesk makemigrations --check --dry-run
	$(BIN)/policydesk permissions doc --check

test: lint types migrations-check
	$(BIN)/pytest -q

# The same suite on PostgreSQL; pytest-django creates and drops test_policydesk itself.
test-pg: venv
	DATABASE_URL=$(PG_URL) $(BIN)/pytest -q

e2e: venv
	$(BIN)/pytest -q -m e2e tests/e2e

messages: venv
	cd src/policydesk && ../../$(BIN)/policydesk makemessages -l zh_Hans -l en --no-location --ignore 'demo/*'
	cd src/policydesk && ../../$(BIN)/policydesk compilemessages

docs: venv
	$(BIN)/policydesk permissions doc

bench: venv
	$(BIN)/python -m bench.run_all

clean:
	rm -rf $(VENV) var staticfiles .mypy_cache .ruff_cache
