# The two commands of the README: `make book` and `make test`.
# Both create the virtual environment on first use and reinstall it when the pins change.
VENV    ?= .venv
PYTHON  ?= $(shell command -v python3.11 || command -v python3)
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
JB      := $(VENV)/bin/jupyter-book
HTML    := _build/html/index.html

.PHONY: book test bench figures lint clean

$(STAMP): requirements.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $(STAMP)

## Build the HTML book (executing every chapter, with the execution cache) and print its path.
book: $(STAMP)
	$(JB) build . -n -W --keep-going
	@echo "The book is at: $(CURDIR)/$(HTML)"

## Every test: the strict book build (zero warnings), then pytest (units, properties,
## conformance, bad input, doctests, notebook execution, checks on the built HTML), then lint.
test: $(STAMP)
	rm -rf _build/html
	$(JB) build . -n -W --keep-going
	$(PY) -m pytest
	$(VENV)/bin/ruff check seglab tests benchmarks

bench: $(STAMP)
	$(PY) -m pip install --quiet -r benchmarks/requirements.txt
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

## The README's figure (the book draws its own figures while it builds).
figures: $(STAMP)
	@mkdir -p book/images
	$(PY) -c "from seglab.plotting import imbalance_figure; \
	imbalance_figure(0.01).savefig('book/images/imbalance.png')"

lint: $(STAMP)
	$(VENV)/bin/ruff check seglab tests benchmarks

clean:
	rm -rf _build
