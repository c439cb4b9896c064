# Two commands a new user needs: `make run` and `make test`. Each does its own set-up.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install model run test test-fast lint bench bench-accurate clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# This machine's CPU build of torch; an unpinned torch would pull a CUDA build of several GB.
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

model: install
	$(BIN)/replykit models prepare

run: model
	$(BIN)/replykit demo
	$(BIN)/replykit serve

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/pytest

test-fast: install
	$(BIN)/pytest -m "not slow"

bench: model
	$(BIN)/python -m eval.bench_embed --rounds 3
	$(BIN)/python -m eval.bench_kb
	$(BIN)/python -m eval.bench_analysis --data-dir ../shared/datasets
	$(BIN)/python -m eval.bench_train --data-dir ../shared/datasets
	$(BIN)/python -m eval.eval_suggest
	$(BIN)/python -m eval.bench_http --concurrency 1 --concurrency 4

# The accurate intent mode fine-tunes the encoder: about an hour on 2 cores (docs/accurate-mode.md).
bench-accurate: model
	$(BIN)/python -m eval.bench_accurate --data-dir ../shared/datasets

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
