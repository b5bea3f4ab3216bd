# Every target sets itself up: it creates .venv (if missing) and installs chainrule with just the
# extras that target uses, once (one stamp file per set of extras, redone when pyproject.toml changes).
#   make demo       chainrule's four small dependencies (graphviz, graphviz-pure, tqdm, latex2mathml)
#   make notebooks  chainrule + JupyterLab, ipywidgets, anywidget, matplotlib   (the `notebooks` extra)
#   make test       chainrule + pytest, nbmake, Playwright, micrograd, ruff... (the `dev` extra; CI too)
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip install --quiet

DEMO_STAMP      := $(VENV)/.chainrule-demo
NOTEBOOKS_STAMP := $(VENV)/.chainrule-notebooks
TEST_STAMP      := $(VENV)/.chainrule-test
BENCH_STAMP     := $(VENV)/.chainrule-bench

# JupyterLab refuses to start as root (containers, Codespaces) unless told it may.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u 2>/dev/null)),--allow-root)

.PHONY: demo test bench notebooks lint clean

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10) and "chainrule needs Python >= 3.10")'
	$(PYTHON) -m venv $(VENV)
	@# editable installs of a pyproject.toml-only package need pip >= 21.3; upgrade only an older pip
	$(PY) -c 'import pip, sys; sys.exit(tuple(map(int, pip.__version__.split(".")[:2])) < (21, 3))' \
		|| $(PIP) --upgrade pip

# The demo runs from this checkout (`python -m nn.demo`), so it installs only chainrule's
# dependencies, read from pyproject.toml: building chainrule itself would add a quarter to the
# demo's time. (Python 3.10 has no tomllib: there the demo installs chainrule as the others do.)
DEPENDENCIES = $(shell $(PYTHON) -c 'import shlex, tomllib; print(*map(shlex.quote, tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]))' 2>/dev/null)

$(DEMO_STAMP): pyproject.toml | $(PY)
	$(PIP) $(or $(DEPENDENCIES),-e .)
	touch $@

$(NOTEBOOKS_STAMP): pyproject.toml | $(PY)
	$(PIP) -e '.[notebooks]'
	touch $@

$(TEST_STAMP): pyproject.toml | $(PY)
	$(PIP) -e '.[dev]'
	touch $@

$(BENCH_STAMP): pyproject.toml | $(PY)
	$(PIP) -e '.[bench]'
	touch $@

# The name this stamp had when one install served every target (kept for scripts that use it).
$(VENV)/.chainrule-installed: $(TEST_STAMP)
	touch $@

demo: $(DEMO_STAMP)
	$(PY) -m nn.demo

test: $(TEST_STAMP)
	$(PY) -m pytest

bench: $(BENCH_STAMP)
	$(PY) benchmarks/bench.py --update-readme
	$(PY) benchmarks/render_times.py --update-readme
	$(PY) benchmarks/attributes.py

notebooks: $(NOTEBOOKS_STAMP)
	$(VENV)/bin/jupyter lab --ip 127.0.0.1 $(ALLOW_ROOT) notebooks/

lint: $(TEST_STAMP)
	$(VENV)/bin/ruff check autograd nn tests benchmarks

clean:
	rm -rf $(VENV) out .pytest_cache build *.egg-info
