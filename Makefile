# The two commands a newcomer types: `make demo` and `make test`. Each sets itself up.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

$(BIN)/lookout: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(BIN)/lookout

.PHONY: demo test lint bench validation
demo: $(BIN)/lookout
	$(BIN)/lookout fly --site 39.03,125.75 --target 42.1,136.5 --loft 6518.2 --vehicle icbm-solid-3stage

test: $(BIN)/lookout
	$(BIN)/ruff check lookout tests
	$(BIN)/pytest -q

bench: $(BIN)/lookout
	$(BIN)/lookout bench flight

validation: $(BIN)/lookout
	$(BIN)/lookout validate --markdown docs/validation.md
