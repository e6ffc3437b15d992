# Two commands set everything up on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
PYTEST_ARGS ?=

.PHONY: run test bench install install-dev lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	touch $@ $(VENV)/.installed

static/vendor/htmx.min.js: config.py | $(VENV)/.installed
	$(BIN)/python -m lemontaps.vendor

install: $(VENV)/.installed static/vendor/htmx.min.js
install-dev: $(VENV)/.installed-dev static/vendor/htmx.min.js chromium

# The browser tests (tests/browser) drive Debian's chromium through Playwright; never a
# browser download. Installed here when missing (as root); otherwise say what to run.
.PHONY: chromium
chromium:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
		echo "== installing Debian's chromium for the browser tests"; \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; \
	else \
		echo "Debian's chromium (/usr/bin/chromium) is missing and this is not root:"; \
		echo "  sudo apt-get update && sudo apt-get install -y chromium"; \
		echo "Without it the browser tests fail."; \
	fi

## make run: install, migrate, seed the demo and start everything; prints the URL and logins.
run: install
	APP_CONFIG=demo $(FLASK) db upgrade
	APP_CONFIG=demo $(FLASK) seed-demo
	APP_CONFIG=demo $(FLASK) run-demo

## make test: the whole suite on SQLite, and on PostgreSQL too when TEST_DATABASE_URL is set
## (there without the end-to-end and browser tests, which run once, on a SQLite file).
PYTEST := $(BIN)/python -m pytest -n 2 --dist loadgroup
test: install-dev
	env -u TEST_DATABASE_URL $(PYTEST) $(PYTEST_ARGS)
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== again on PostgreSQL"; \
		$(PYTEST) -m "not e2e and not browser" $(PYTEST_ARGS); \
	else echo "TEST_DATABASE_URL not set: the PostgreSQL run is left out"; fi

## make bench: API calls and time of a push, engine vs a per-record client, side by side;
## then page times at BENCH_CONTACTS x1, x10, x100 and SQL statements to start a push (SQLite,
## and PostgreSQL when BENCH_DATABASE_URL or TEST_DATABASE_URL is set). FULL=1 writes BENCHMARKS.md.
BENCH_CONTACTS ?= 1000
bench: install-dev
	$(BIN)/python -m bench.api_calls --contacts $(BENCH_CONTACTS)
	$(BIN)/python -m bench.pages --base $(BENCH_CONTACTS) $(if $(FULL),--markdown BENCHMARKS.md)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

clean:
	rm -rf $(VENV) instance/lemontaps.sqlite
