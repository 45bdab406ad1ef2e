# The two commands a newcomer types: `make demo` and `make test`. Each sets itself up.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

$(BIN)/lookout: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,stonesoup]'
	touch $(BIN)/lookout

.PHONY: demo test lint bench validation
demo: $(BIN)/lookout
	$(BIN)/lookout demo lost-track --speed 20 --duration-s 700

test: $(BIN)/lookout
	$(BIN)/ruff check lookout tests
	$(BIN)/pytest -q

bench: $(BIN)/lookout
	$(BIN)/lookout bench flight

validation: $(BIN)/lookout
	$(BIN)/lookout validate --markdown docs/validation.md
