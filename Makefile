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

.PHONY: demo test bench soak formal setup iverilog clean fuzz

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

# Every benchmark (builds, golden model against Brian2, simulators): bench/results.json and bench/results.md.
# Brian2 2.9 needs numpy < 2.3, so it gets its own environment, .venv-brian2 (created once).
# `make bench BENCH_ARGS="--quick"` is a short smoke run; `--only builds` (or golden, sim) runs one part and keeps
# the others from the last bench/results.json.
BENCH_ARGS ?=
bench: setup .venv-brian2/bin/python
	$(PY) scripts/bench.py $(BENCH_ARGS)

# Constrained-random differential testing (golden model against the RTL) for as long as asked:
# `make soak CASES=500 SEED=7`; a mismatch exits 1 and prints the command that replays it.
CASES ?= 100
SEED ?= 1
soak: setup
	$(PY) scripts/soak.py --cases $(CASES) --seed $(SEED)

# The host link fuzz on the simulated board (FRAMES random and mutated frames, then a bit-exact run) and
# BOARD_CASES random runs through the host driver against the golden model: `make fuzz FRAMES=50000 SEED=3`
FRAMES ?= 20000
BOARD_CASES ?= 20
fuzz: setup
	$(PY) scripts/fuzz.py --frames $(FRAMES) --seed $(SEED) --cases $(BOARD_CASES)

# SymbiYosys checks (lifgen.sim.formal: core, rule, step timing, frame parser, watched neuron); also in make test
formal: setup
	$(PY) scripts/formal.py

.venv-brian2/bin/python:
	$(PY) scripts/bench_golden.py --setup-brian2

clean:
	rm -rf out build .pytest_cache
