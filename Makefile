# The two commands a new user needs: `make demo` and `make test`. Both create .venv on first
# use and reuse it afterwards; a changed pyproject.toml triggers a reinstall.
PYTHON ?= python3
VENV := .venv
VENV_PYTHON := $(VENV)/bin/python

.PHONY: demo test bench clean-output

demo: $(VENV)/.installed-base
	$(VENV_PYTHON) train.py --config experiments/adam_2x10.yaml

test: $(VENV)/.installed-test
	$(VENV_PYTHON) -m pytest

bench: $(VENV)/.installed-base
	$(VENV_PYTHON) benchmarks/bench_render.py
	$(VENV_PYTHON) benchmarks/bench_train.py

$(VENV_PYTHON):
	$(PYTHON) -m venv $(VENV)
	$(VENV_PYTHON) -m pip install --quiet --upgrade pip

$(VENV)/.installed-base: pyproject.toml | $(VENV_PYTHON)
	$(VENV_PYTHON) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(VENV_PYTHON)
	$(VENV_PYTHON) -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed-base

clean-output:
	rm -rf output
