# One command each: `make lab` opens the book, `make test` runs every test, `make book` builds the site.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup lab test test-fast book bench browser fonts gosrc clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test,book]'
	touch $(STAMP)

lab: setup fonts
	$(BIN)/python scripts/lab.py

fonts:
	@sh scripts/ensure-cjk-font.sh

browser: fonts
	@sh scripts/ensure-chromium.sh
	@sh scripts/fetch-axe.sh

gosrc:
	@sh scripts/ensure-go-src.sh

test: setup browser gosrc
	$(BIN)/ruff check gosched_book tests benchmarks scripts
	$(BIN)/python -m pytest -n 2 --dist loadfile -q

test-fast: setup
	$(BIN)/python -m pytest -q -m "not slow"

book: setup
	$(BIN)/python -m gosched_book.site build

bench: setup
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf _build .pytest_cache
