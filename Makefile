# The two commands of the README: `make run` and `make test`. Everything else is a helper.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
# pytest-xdist processes for `make test` (each with its own test database); 0 runs in this one.
TEST_WORKERS ?= 2

.PHONY: run test lint format api-check check-deploy worker clean bench-ordering bench-usage bench-billing

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.installed-run

# DEBUG is off unless set (settings.py): the demo and its worker run with it on.
run worker: export DJANGO_DEBUG ?= true

## run: install, migrate, load the demo data and serve the portal (with a Celery worker if REDIS_URL is set)
run: $(VENV)/.installed-run
	$(BIN)/python manage.py migrate --noinput -v0
	$(BIN)/python manage.py collectstatic --noinput -v0
	$(BIN)/python manage.py load_demo
	@echo
	@echo "The portal: http://$(HOST):$(PORT)/   API docs: http://$(HOST):$(PORT)/api/docs/"
	@tasks="$${REDIS_URL:+a Celery worker on $$REDIS_URL}"; \
		echo "Database: $${DATABASE_URL:-SQLite (db.sqlite3)}   Tasks: $${tasks:-in-process}"
	@echo
	@if [ -n "$$REDIS_URL" ]; then \
		$(BIN)/celery -A tcfo_portal worker --beat --loglevel=INFO --concurrency=2 & worker=$$!; \
		trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
		$(BIN)/python manage.py runserver $(HOST):$(PORT); \
	else \
		$(BIN)/python manage.py runserver $(HOST):$(PORT); \
	fi

# axe-core from the npm registry (package-lock.json), for the accessibility check of every page
# (tests/browser/test_every_page.py). Without node and npm the check is skipped, except in CI.
node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null; then \
		npm ci --no-audit --no-fund --loglevel=error && touch $@; \
	elif [ "$${CI:-}" = true ]; then \
		echo "CI needs node and npm for axe-core (apt-get install nodejs npm)" >&2; exit 1; \
	else \
		echo "npm not found: the axe-core accessibility tests will be skipped" >&2; \
	fi

## test: install the test tools and run the whole suite (CI=true makes every service mandatory)
test: $(VENV)/.installed-dev node_modules/.installed
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

## api-check: schemathesis against a served instance on a throwaway PostgreSQL database
api-check: $(VENV)/.installed-dev
	$(BIN)/python .ci/api_check.py

## check-deploy: Django's deployment checks on the settings of a deployment (a warning fails)
check-deploy: $(VENV)/.installed-run
	DJANGO_DEBUG=false \
	DJANGO_SECRET_KEY="$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
	DJANGO_ALLOWED_HOSTS=portal.tcfo.example \
	DJANGO_SECURE_SSL_REDIRECT=true \
	DJANGO_HSTS_SECONDS=31536000 DJANGO_HSTS_INCLUDE_SUBDOMAINS=true DJANGO_HSTS_PRELOAD=true \
	$(BIN)/python manage.py check --deploy --fail-level WARNING

## lint: ruff lint and format check
lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## bench-ordering: 64 concurrent buyers for the last 8 units, 20 rounds, on PostgreSQL
bench-ordering: $(VENV)/.installed-dev
	$(BIN)/python bench/ordering.py

## bench-usage: usage ingest (API vs COPY), 95th of 2,000 services (vs percentile_disc), bytes a bucket
bench-usage: $(VENV)/.installed-dev
	$(BIN)/python bench/usage.py

## bench-billing: billing run of 2,000 transit + 2,000 lease contracts (vs percentile_disc), PDFs 1 vs 2 processes
bench-billing: $(VENV)/.installed-dev
	$(BIN)/python bench/billing.py

## worker: a Celery worker on REDIS_URL, for a second terminal
worker: $(VENV)/.installed-run
	$(BIN)/celery -A tcfo_portal worker --beat --loglevel=INFO

clean:
	rm -rf $(VENV) staticfiles .pytest_cache node_modules
