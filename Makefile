# kernel-agent: `make run` starts JupyterLab on the quickstart notebook; `make test` runs every test.
# Both create .venv and install what they need on a fresh machine.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test bench schema lint clean venv sysdeps

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,lab]'
	rm -f $(VENV)/.installed-*
	touch $@

run: venv
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/jupyter lab notebooks/quickstart.ipynb --ServerApp.ip=127.0.0.1

sysdeps:
	bash .ci/sysdeps

test: sysdeps venv
	$(BIN)/pytest

bench: venv
	$(PY) -m bench

schema: venv
	$(PY) -m agent schema --out labextension/schema/protocol.schema.json

lint: venv
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) .pytest_cache build dist
