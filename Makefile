# The front door. `make run` and `make test` work from a fresh clone with only Python 3.11 and make.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
export FLASK_APP := wsgi.py
# Development defaults (SQLite, a public dev secret) only when asked for: a start without HEP_ENV
# is a production start. Local targets run in development mode, the suite in test mode.
export HEP_ENV ?= development

.PHONY: run test test-pythons lock fuzz lint format bench cluster mutation migrate seed scheduler clean \
	web web-client web-client-check web-test web-e2e chromium

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found; set PYTHON=python3"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Installs come from the lockfiles (every version and hash pinned; make lock refreshes them),
# then the project itself without resolving anything again.
LOCK     := requirements/lock.txt
DEV_LOCK := requirements/dev-lock.txt

$(VENV)/.installed: $(LOCK) pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps -e .
	@touch $@

$(VENV)/.installed-dev: $(DEV_LOCK) pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r $(DEV_LOCK)
	$(BIN)/pip install --quiet --no-deps -e .
	@touch $@ $(VENV)/.installed

## lock: re-resolve the lockfiles from pyproject.toml for Python 3.11+ on any platform (uv's
## universal mode: markers where versions differ), keeping current pins unless UPGRADE=1.
UV_COMPILE = $(BIN)/uv pip compile pyproject.toml --universal --python-version 3.11 \
	--generate-hashes --no-header --quiet --extra fcm $(if $(UPGRADE),--upgrade)
lock: | $(BIN)/python
	$(BIN)/pip install --quiet 'uv>=0.5'
	$(UV_COMPILE) --extra dev -o $(DEV_LOCK)
	$(UV_COMPILE) -c $(DEV_LOCK) -o $(LOCK)
	@echo "lockfiles written: $(LOCK) (runtime) and $(DEV_LOCK) (runtime and development)"

migrate: $(VENV)/.installed
	$(BIN)/flask db upgrade

seed: migrate
	$(BIN)/flask seed

## run: migrate, seed, build the console when Node.js is there, then serve the API with gunicorn
## and run the scheduler beside it.
run: seed
	@if command -v npm >/dev/null 2>&1; then $(MAKE) --no-print-directory web || echo "The console did not build; the API starts without it."; \
	else echo "npm not found: the API starts without the console. Install Node.js 20.19+ and npm, then run 'make web' (served at /console/)."; fi
	@HOST=$(HOST) PORT=$(PORT) $(BIN)/python -m server.devserver

scheduler: $(VENV)/.installed
	$(BIN)/flask scheduler run

## test: lint, the whole suite on SQLite and PostgreSQL (the contract tests generate clients with
## the console's locked openapi-typescript and tsc, so its packages come first), then the console.
test: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@command -v nginx >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq nginx-light) \
		|| echo "nginx could not be installed: the nginx front test will skip"
	@command -v npm >/dev/null 2>&1 && $(MAKE) --no-print-directory web/node_modules/.package-lock.json \
		|| echo "npm not found: the TypeScript half of the contract tests will skip"
	HEP_ENV=test $(BIN)/pytest -n 2 -p no:cacheprovider
	$(MAKE) --no-print-directory web-test

## test-pythons: the Python suite (both databases) on each of Python 3.11, 3.12 and 3.13 that is
## installed (on PATH as python3.X, or under pyenv), each in its own .venv-3.X from the dev lockfile.
PYTHONS ?= 3.11 3.12 3.13
test-pythons:
	@ran=""; for v in $(PYTHONS); do \
		py=$$(command -v python$$v 2>/dev/null); \
		$$py -c '' 2>/dev/null || py=$$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/$$v.*/bin/python 2>/dev/null | sort -V | tail -1); \
		if [ -z "$$py" ]; then echo "== Python $$v: not installed, skipped"; continue; fi; \
		echo "== Python $$v: $$py"; \
		[ -x .venv-$$v/bin/python ] || $$py -m venv .venv-$$v || exit 1; \
		.venv-$$v/bin/python -m pip install --quiet --upgrade pip && \
		.venv-$$v/bin/pip install --quiet --require-hashes -r $(DEV_LOCK) && \
		.venv-$$v/bin/pip install --quiet --no-deps -e . && \
		HEP_ENV=test .venv-$$v/bin/python -m pytest -n 2 -p no:cacheprovider -q || exit 1; \
		ran="$$ran $$v"; \
	done; echo "== the suite passed on Python:$$ran"

## fuzz: schemathesis with a larger, random sample than make test's (FUZZ_EXAMPLES per mode).
fuzz: $(VENV)/.installed-dev
	HEP_ENV=test FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-60} FUZZ_RANDOM=1 $(BIN)/pytest -n 2 -p no:cacheprovider \
		tests/robustness/test_api_schema.py

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(VENV)/.installed-dev
	$(BIN)/python -m bench

## cluster: two API servers and two schedulers on PostgreSQL and Redis play a clinic day for 2,000
## patients; one of each is SIGKILLed midway and restarted; asserts and prints figures (README).
cluster: $(VENV)/.installed-dev
	$(BIN)/python -m cluster

## mutation: mutmut over the pure rules (score per module, survivors explained), then nudged defaults.
mutation: $(VENV)/.installed-dev
	$(BIN)/python -m mutation --jobs $${MUTATION_JOBS:-2}

clean:
	rm -rf $(VENV) .venv-3.* instance .pytest_cache

# --- the therapist console (web/) ---------------------------------------------------------------
WEB_ENV := PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 CI=$(CI)

web/node_modules/.package-lock.json: web/package-lock.json
	cd web && $(WEB_ENV) npm ci --no-audit --no-fund --loglevel=error

## web: install the console's locked dependencies and build it into web/dist (served at /console/).
web: web/node_modules/.package-lock.json
	cd web && npm run --silent build -- --logLevel warn

## web-client: regenerate the console's typed API client from the app's own OpenAPI spec.
web-client: $(VENV)/.installed web/node_modules/.package-lock.json
	@mkdir -p build
	LOG_LEVEL=WARNING $(BIN)/flask openapi write build/openapi.json
	cd web && npx openapi-typescript ../build/openapi.json -o src/api/schema.d.ts

## web-client-check: fail when the committed client no longer matches the spec (run make web-client).
web-client-check: $(VENV)/.installed web/node_modules/.package-lock.json
	@mkdir -p build
	@LOG_LEVEL=WARNING $(BIN)/flask openapi write build/openapi.json
	@cd web && npx openapi-typescript ../build/openapi.json -o ../build/schema.d.ts >/dev/null
	@diff -u web/src/api/schema.d.ts build/schema.d.ts >/dev/null || { \
		diff -u web/src/api/schema.d.ts build/schema.d.ts | head -40; \
		echo "web/src/api/schema.d.ts is out of date with the API's spec: run 'make web-client'"; exit 1; }
	@echo "console client matches the API's spec"

## web-test: lint, type check, unit tests, client drift, build, budgets and end-to-end tests.
web-test: $(VENV)/.installed-dev
	@command -v npm >/dev/null 2>&1 || { echo "npm not found: the console's tests need Node.js 20.19+"; \
		if [ "$(CI)" = "true" ]; then exit 1; else echo "skipping the console's tests"; exit 0; fi; }
	@$(MAKE) --no-print-directory web/node_modules/.package-lock.json
	cd web && npm run --silent lint && npm run --silent typecheck && npm run --silent test
	@$(MAKE) --no-print-directory web-client-check
	@$(MAKE) --no-print-directory web
	cd web && npm run --silent budgets
	@$(MAKE) --no-print-directory web-e2e

## web-e2e: Playwright in Debian's Chromium against a server from this checkout on fresh SQLite,
## then the patient page's measured load time (PASS/FAIL against 1 s, never failing the build).
web-e2e: chromium web/node_modules/.package-lock.json
	cd web && mkdir -p e2e-artifacts && npx playwright test && node scripts/budgets.mjs --load-only

chromium:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -q && apt-get install -y -q chromium; }
