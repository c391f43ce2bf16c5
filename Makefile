# SPDX-License-Identifier: BSD-2-Clause
# lifgen: the two commands a user needs are `make demo` and `make test`.
# Both create .venv when it is missing, install the pinned packages once
# (a stamp file remembers it), and make sure Icarus Verilog is on PATH.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.lifgen-installed
# pytest options for one-off runs, e.g. `make test PYTEST_ARGS="-k rtl -x"`
PYTEST_ARGS ?=
# both cores (pytest-xdist); `make test JOBS=0` runs in one process
JOBS ?= 2

.PHONY: demo test bench setup iverilog clean

setup: $(STAMP) iverilog

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $(STAMP)

iverilog:
	@sh scripts/ensure-iverilog.sh

demo: setup
	$(VENV)/bin/lifgen demo --out out

test: setup
	$(PY) -m pytest -n $(JOBS) $(PYTEST_ARGS)

bench: setup
	$(PY) scripts/bench_golden.py
	$(PY) scripts/bench_sim.py

clean:
	rm -rf out build .pytest_cache
