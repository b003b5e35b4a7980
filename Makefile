# kernel-agent: `make run` starts JupyterLab on the quickstart notebook; `make test` runs every test.
# Both create .venv and install what they need on a fresh machine.
#
#   make run [PORT=8888] [NO_BROWSER=1]
#
# `make run` works on a scratch copy of the notebooks in .run/ (git-ignored; a notebook already
# there is kept, with your progress), so the tour leaves the checkout clean. It listens on
# 127.0.0.1:PORT, opens no browser with NO_BROWSER=1 (open the URL it prints), and passes
# --allow-root when run as root (containers, CI, JupyterHub images).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

# The JupyterLab side panel (labextension/) is built by `pip install` (hatch-jupyter-builder
# runs jlpm) when Node is present; without Node the install is Python-only and says so.
# The same build (`jlpm build:widget`) bundles the cell widget's ES module from the panel's
# transcript renderer into kernel_ext/agent/frontends/notebook/static/agent_view.js, which is
# committed (a Python-only install needs it) and checked against its sources by the tests.
NODE   := $(shell command -v node 2>/dev/null)
LABEXT_OUT  := kernel_ext/agent/labextension/package.json
LABEXT_SRC  := $(wildcard labextension/src/*.ts labextension/src/transcript/*.ts labextension/style/* labextension/scripts/*) \
               labextension/package.json labextension/yarn.lock
LABEXT_SHARE := $(VENV)/share/jupyter/labextensions/kernel-agent
ifeq ($(NODE),)
export HATCH_JUPYTER_BUILDER_SKIP_NPM := 1
endif

.PHONY: run test bench schema lint clean venv sysdeps labextension

venv: $(STAMP)

$(STAMP): pyproject.toml
	@[ -n "$(NODE)" ] || echo "kernel-agent: node not found: skipping the JupyterLab side panel build (Python-only install; its jest and browser tests skip)."
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,lab]'
	rm -f $(VENV)/.installed-*
	touch $@

# Rebuild the panel when its sources changed since the install, and refresh the copy
# JupyterLab loads (pip's editable install copied it into the venv).
labextension: venv
	@if [ -z "$(NODE)" ]; then echo "kernel-agent: node not found: the side panel is not built."; \
	elif [ ! -f $(LABEXT_OUT) ] || [ -n "$$(find $(LABEXT_SRC) -newer $(LABEXT_OUT) 2>/dev/null)" ]; then \
	  cd labextension && PATH="$(CURDIR)/$(BIN):$$PATH" jlpm install && PATH="$(CURDIR)/$(BIN):$$PATH" jlpm build && cd .. && \
	  rm -rf $(LABEXT_SHARE) && cp -r kernel_ext/agent/labextension $(LABEXT_SHARE) && cp labextension/install.json $(LABEXT_SHARE)/; \
	fi

PORT    ?= 8888
RUN_DIR := .run
LAB_ARGS := --ServerApp.ip=127.0.0.1 --ServerApp.root_dir=$(RUN_DIR) --port=$(PORT) \
            $(if $(filter 1,$(NO_BROWSER)),--no-browser) $(if $(filter 0,$(shell id -u)),--allow-root)

run: venv labextension
	PATH="$(CURDIR)/$(BIN):$$PATH" .ci/run-lab $(RUN_DIR) $(BIN)/jupyter $(strip $(LAB_ARGS)) $(RUN_DIR)/quickstart.ipynb

sysdeps:
	bash .ci/sysdeps

test: sysdeps venv labextension
	$(BIN)/pytest

bench: venv
	$(PY) -m bench

schema: venv
	$(PY) -m agent schema --out labextension/schema/protocol.schema.json
	@if [ -n "$(NODE)" ] && [ -d labextension/node_modules ]; then cd labextension && node scripts/gen-protocol.js src/protocol.ts; \
	else echo "kernel-agent: node or labextension/node_modules missing: labextension/src/protocol.ts not regenerated."; fi

lint: venv
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) .pytest_cache build dist
