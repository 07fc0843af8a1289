# The front door. `make run` and `make test` work from a fresh clone with only Python 3.11 and make.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
export FLASK_APP := wsgi.py

.PHONY: run test fuzz lint format bench mutation migrate seed scheduler clean

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found; set PYTHON=python3"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@ $(VENV)/.installed

migrate: $(VENV)/.installed
	$(BIN)/flask db upgrade

seed: migrate
	$(BIN)/flask seed

## run: migrate, seed, then serve the API with gunicorn and run the scheduler beside it.
run: seed
	@HOST=$(HOST) PORT=$(PORT) $(BIN)/python -m server.devserver

scheduler: $(VENV)/.installed
	$(BIN)/flask scheduler run

## test: lint, then the whole suite on SQLite and PostgreSQL.
test: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -n 2 -p no:cacheprovider

## fuzz: schemathesis with a larger, random sample than make test's (FUZZ_EXAMPLES per mode).
fuzz: $(VENV)/.installed-dev
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-60} FUZZ_RANDOM=1 $(BIN)/pytest -n 2 -p no:cacheprovider \
		tests/robustness/test_api_schema.py

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(VENV)/.installed-dev
	$(BIN)/python -m bench

## mutation: mutmut over the pure rules (score per module, survivors explained), then nudged defaults.
mutation: $(VENV)/.installed-dev
	$(BIN)/python -m mutation --jobs $${MUTATION_JOBS:-2}

clean:
	rm -rf $(VENV) instance .pytest_cache
