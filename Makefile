# Two commands do all the set-up: `make demo` and `make test`. Each creates .venv if missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEMO_DATA := ./data

.PHONY: install demo test test-slow test-canary lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	BRIEFBOT_DATA_DIR=$(DEMO_DATA) $(BIN)/briefbot index seeds
	BRIEFBOT_DATA_DIR=$(DEMO_DATA) $(BIN)/briefbot ask "Why did Putin visit North Korea, and what worries the US?"
	BRIEFBOT_DATA_DIR=$(DEMO_DATA) $(BIN)/briefbot brief --as-of 2024-06-19

test: $(STAMP)
	$(BIN)/python -m pytest -q

test-slow: $(STAMP)
	$(BIN)/python -m pytest -q -m slow

test-canary: $(STAMP)
	$(BIN)/python -m pytest -q --canary-secrets

lint: $(STAMP)
	$(BIN)/ruff check bot retrieval prompts tests bench
	$(BIN)/mypy

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
