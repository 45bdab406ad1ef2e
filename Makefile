# The two commands a newcomer types: `make demo` and `make test`. Each sets itself up.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
# CesiumJS for the web page: the pinned npm package, checked and unpacked outside git
# (lookout/web/cesium.py says where; `make cesium` fetches it once).
CESIUM_STAMP = $(shell $(PY) -c "import os, pathlib; \
e = os.environ.get('LOOKOUT_CESIUM_DIR'); \
c = pathlib.Path(os.environ.get('XDG_CACHE_HOME') or pathlib.Path.home() / '.cache'); \
print(pathlib.Path(e) if e else c / 'lookout' / 'cesium-$(CESIUM_VERSION)')")/.lookout-integrity
CESIUM_VERSION := $(shell sed -n 's/^CESIUM_VERSION = "\(.*\)"/\1/p' lookout/web/cesium.py)

$(BIN)/lookout: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,stonesoup]'
	touch $(BIN)/lookout

$(CESIUM_STAMP): lookout/web/cesium.py | $(BIN)/lookout
	$(BIN)/python -m lookout.web.cesium
	touch $@

.PHONY: demo test test-all lint bench validation cesium golden
cesium: $(CESIUM_STAMP)

demo: $(BIN)/lookout $(CESIUM_STAMP)
	$(BIN)/lookout demo lost-track --speed 20 --duration-s 700

# Tests run on every core (pytest-xdist, one test file per worker at a time), then the ones
# marked serial alone: their clocks must not compete for the CPU. That second pass reads only the
# files that mark any (the whole suite is ~4 CPU s to collect again).
XDIST := -n auto --dist loadfile
# Each worker and the serial pass compile the package and the tests again unless Python may keep
# its bytecode (__pycache__, ignored by git): an environment that forbids it costs ~2 CPU s a
# process.
unexport PYTHONDONTWRITEBYTECODE
SERIAL_FILES = $(shell grep -l 'mark\.serial' tests/test_*.py)

# The fast lane: everything but the slow end-to-end runs (pytest -m slow), for every change. Its
# longest files are handed out first (tests/conftest.py names them), not those with most tests.
test: $(BIN)/lookout $(CESIUM_STAMP)
	$(BIN)/ruff check lookout tests benchmarks
	$(BIN)/pytest -q $(XDIST) --no-loadscope-reorder -m "not slow and not serial"
	$(BIN)/pytest -q -m "not slow and serial" $(SERIAL_FILES)

# Everything: what CI (.ci/run) runs and the README names.
test-all: $(BIN)/lookout $(CESIUM_STAMP)
	$(BIN)/ruff check lookout tests benchmarks
	$(BIN)/pytest -q $(XDIST) -m "not serial"
	$(BIN)/pytest -q -m serial $(SERIAL_FILES)

bench: $(BIN)/lookout
	$(BIN)/lookout bench flight

validation: $(BIN)/lookout
	$(BIN)/lookout validate --markdown docs/validation.md

# The golden check (issue 14): `lookout track` on every recorded scenario gives the recorded
# figures to the last bit, on the machine that recorded them (benchmarks/golden.py).
golden: $(BIN)/lookout
	$(BIN)/python benchmarks/golden.py check
