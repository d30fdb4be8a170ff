# The two commands of the README: `make book` and `make test`.
# Both create the virtual environment on first use and reinstall it when the pins change.
VENV    ?= .venv
PYTHON  ?= $(shell command -v python3.11 || command -v python3)
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
JB      := $(VENV)/bin/jupyter-book
HTML    := _build/html/index.html

.PHONY: book book-offline demo chromium node test unit bench figures lint clean fork-setup \
	experiments experiments-smoke

$(STAMP): requirements.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $(STAMP)

## The optional extra seglab[torch] for tests/test_torch*.py and benchmarks/bench_torch.py: the
## exact pin of pyproject.toml (torch==2.13.0, the CPU build), not in requirements.txt (Binder).
TORCH   := $(VENV)/.torch
$(TORCH): $(STAMP)
	$(PY) -m pip install --quiet torch==2.13.0
	@touch $(TORCH)

## The optional extra seglab[evaluate] for seglab.evaluation (Dask, distributed, NIfTI) and
## tests/test_evaluate.py: the exact pins of pyproject.toml, not in requirements.txt (Binder).
EVAL    := $(VENV)/.evaluate
$(EVAL): $(STAMP) pyproject.toml
	$(PY) -m pip install --quiet dask==2026.8.0 distributed==2026.8.0 nibabel==5.4.2
	@touch $(EVAL)

## Build the HTML book and print its path: tools/prewarm.py executes the chapters on all cores
## into the execution cache, then the strict build renders them (and re-executes any failure).
book: $(STAMP) $(TORCH) node
	$(PY) tools/prewarm.py
	$(JB) build . -n -W --keep-going
	@echo "The book is at: $(CURDIR)/$(HTML)"

## The same book readable with no internet: require.js, the ipywidgets HTML manager and MathJax
## (for live code; the formulas are rendered at build time) vendored from the npm registry (pinned
## in tools/offline.py, cached in .cache/) into the site's vendor/ folder; _config.offline.yml
## overrides _config.yml. Reuses the execution cache and the rendered formulas.
OFFLINE := _build/offline/_build/html
book-offline: $(STAMP) node
	$(PY) tools/offline.py
	$(JB) build . -n -W --keep-going --config _build/offline/_config.yml --path-output _build/offline
	@echo "The offline book is at: $(CURDIR)/$(OFFLINE)/index.html"

## Slide decks, one reveal.js deck per chapter cut from the offline book's pages (tools/slides.py;
## reveal.js pinned there, packed once from the npm registry into .cache/npm/): _build/slides/.
.PHONY: slides pdf
slides: $(STAMP) node
	@test -f $(OFFLINE)/index.html || $(MAKE) --no-print-directory book-offline
	$(PY) tools/slides.py

## The book as one PDF, and per chapter an exercise handout and its solutions: the offline book's
## pages printed by headless Chromium (tools/pdf.py; no LaTeX): _build/pdf/.
pdf: $(STAMP) chromium
	@test -f $(OFFLINE)/index.html || $(MAKE) --no-print-directory book-offline
	$(PY) tools/pdf.py

## The classroom dashboard (notebooks/dashboard.ipynb) served by Voila on this machine only.
## Each browser tab gets its own kernel; kernels idle for 15 min are culled.
DEMO_PORT ?= 8866
VOILA_OPTS = --no-browser --Voila.ip=127.0.0.1 --port=$(DEMO_PORT) \
	--MappingKernelManager.cull_idle_timeout=900 --MappingKernelManager.cull_interval=60 \
	--VoilaConfiguration.extension_denylist='["jupyterlab-jupytext"]'
demo: $(STAMP)
	@echo "Classroom dashboard: http://127.0.0.1:$(DEMO_PORT)/ (Ctrl-C to stop)"
	$(VENV)/bin/voila notebooks/dashboard.ipynb $(VOILA_OPTS)

## Node.js and npm (as root, when missing): MathJax renders the book's formulas while it is built
## (book/_ext/seglab_math, MathJax packed once from the npm registry into .cache/), and
## tools/offline.py packs the offline site's JavaScript.
node:
	@command -v node >/dev/null && command -v npm >/dev/null || { \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -qq >/dev/null && apt-get install -y -qq nodejs npm >/dev/null; }

## Debian's Chromium for the browser tests (as root, when it is missing; quiet and idempotent).
chromium:
	@test -x /usr/bin/chromium || { \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -qq >/dev/null && apt-get install -y -qq chromium >/dev/null; }

## Every test: the strict book builds (zero warnings; published and offline), then pytest (units,
## properties, conformance, bad input, doctests, notebook execution, a fresh Binder-like venv,
## the built HTML in headless Chromium, the Voila dashboard), then lint.
## The test files run on every core, at most 4 (pytest-xdist, a whole file per worker at a time,
## so a file's session fixtures are built once; the longest first, in the order tests/conftest.py
## collects them); PYTEST_JOBS= runs them in this process.
PYTEST_JOBS ?= -n auto --maxprocesses=4 --dist loadfile --no-loadscope-reorder
test: $(STAMP) $(TORCH) $(EVAL) chromium node
	rm -rf _build/html $(OFFLINE)
	$(PY) tools/prewarm.py
	$(JB) build . -n -W --keep-going
	$(MAKE) --no-print-directory book-offline
	SEGLAB_BROWSER_TESTS=required HYPOTHESIS_PROFILE=ci $(PY) -m pytest $(PYTEST_JOBS)
	$(VENV)/bin/ruff check seglab tests benchmarks tools experiments book/_ext

## The unit suite alone (no book build, no browser, no fresh environment): a few minutes.
unit: $(STAMP) $(TORCH) $(EVAL)
	$(PY) -m pytest $(PYTEST_JOBS) -m "not browser and not book and not binder and not slow"

bench: $(STAMP) $(TORCH) $(EVAL)
	$(PY) -m pip install --quiet -r benchmarks/requirements.txt
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

## The README's figure (the book draws its own figures while it builds).
figures: $(STAMP)
	@mkdir -p book/images
	$(PY) -c "from seglab.viz.imbalance import imbalance_figure; \
	imbalance_figure(0.01).savefig('book/images/imbalance.png')"

## A fork for a course: the repository's address lives in one place, `repository.url` (and
## `branch`) of _config.yml. `make fork-setup REPOSITORY=https://github.com/<you>/<name>` (optional
## BRANCH=...) writes it there and makes the README's Binder badge and the labs' Colab install
## cells follow; without REPOSITORY it only re-synchronises them with _config.yml
## (tools/repository.py; `tools/repository.py --check` lists any link that disagrees).
REPOSITORY ?=
BRANCH ?=
fork-setup: $(STAMP)
	$(PY) tools/repository.py $(if $(REPOSITORY),--set $(REPOSITORY)) \
	  $(if $(and $(REPOSITORY),$(BRANCH)),--branch $(BRANCH))

## The study of experiments/ (losses x models x tasks, 3 seeds): every run not yet cached in
## experiments/results/runs (resumable: rerun after an interruption), in two one-thread
## processes, then the summary with bootstrap intervals. Measured from a clean cache: 171 runs in
## 42 min on the shared 2-core machine (3 080 CPU-seconds of training and evaluation).
EXPERIMENT_JOBS ?= 2
experiments: $(STAMP) $(TORCH)
	$(PY) -m experiments run --grid full --jobs $(EXPERIMENT_JOBS)
	$(PY) -m experiments aggregate

## A few minutes: two losses per model, one seed, 30 steps (into a scratch folder).
experiments-smoke: $(STAMP) $(TORCH)
	$(PY) -m experiments run --grid smoke --jobs $(EXPERIMENT_JOBS) --results _build/experiments-smoke
	$(PY) -m experiments aggregate --results _build/experiments-smoke

lint: $(STAMP)
	$(VENV)/bin/ruff check seglab tests benchmarks tools experiments book/_ext

clean:
	rm -rf _build
