# One entry point for people and CI. `make up` runs the main job; `make test` runs the tests.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: install up test test-fast bench clean

$(STAMP): pyproject.toml setup.py
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0          # CPU build; an unpinned torch pulls a multi-GB CUDA build
	$(PY) -m pip install -q -e '.[dev,plots]'
	touch $(STAMP)

install: $(STAMP)

up: install
	$(VENV)/bin/semstream up

test: install
	$(VENV)/bin/pytest $(PYTEST_ARGS)

test-fast: install
	$(VENV)/bin/pytest -m "not slow and not integration" $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .semstream .pytest_cache
