# Two entry points: `make run` (build + validate + write build/) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/kg build --out build
	$(BIN)/kg render --graph build/kg.trig --out build/views
	$(BIN)/kg figures --graph build/kg.trig --out build/figures
	$(BIN)/kg docs --graph build/kg.trig --out build/docs/index.html

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check kg tests
	$(BIN)/ruff format --check kg tests

clean:
	rm -rf build $(VENV)
