# 舆情哨 — every target works from a fresh clone.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
ARGS   ?=

.PHONY: help setup setup-test system-deps run demo test lint fmt bench check migrate clean

help:
	@echo "make run    — set up .venv and start the service (yuqing run)"
	@echo "make demo   — set up .venv and start the offline demo (yuqing demo)"
	@echo "make test   — set up with test extras, lint, type-check and run the whole suite"
	@echo "make bench  — run the benchmarks (JSON under bench/results/)"
	@echo "make check  — validate sources.yaml and responders/"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(TEST_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(STAMP)

setup: $(STAMP)
setup-test: $(TEST_STAMP) system-deps

# Debian packages the tests drive for real: Chromium (console + reports), promtool, Alertmanager.
system-deps:
	@bash deploy/scripts/install-system-deps.sh

run: setup
	$(BIN)/yuqing run $(ARGS)

demo: setup
	$(BIN)/yuqing demo $(ARGS)

check: setup
	$(BIN)/yuqing check

migrate: setup
	$(BIN)/yuqing migrate

lint: $(TEST_STAMP)
	$(BIN)/ruff check monitor tests bench
	$(BIN)/ruff format --check monitor tests bench
	$(BIN)/mypy

fmt: $(TEST_STAMP)
	$(BIN)/ruff format monitor tests bench
	$(BIN)/ruff check --fix monitor tests bench

test: setup-test lint
	$(BIN)/pytest $(ARGS)

bench: setup-test
	$(BIN)/python -m bench $(ARGS)

clean:
	rm -rf $(VENV) .yuqing .pytest_cache .mypy_cache .ruff_cache
