# Every task of the project. `make help` lists them.
# The two a newcomer needs: `make serve` and `make test` (both set everything up first).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Debian packages the tests drive: a real browser, Java SPARQL clients, other triple stores.
APT_PACKAGES := chromium chromium-driver raptor2-utils libapache-jena-java virtuoso-opensource
SETUP_STAMP := $(VENV)/.setup-done

.PHONY: help setup system-deps assets serve test test-fast test-slow check validate dumps bench bench-scale bench-10m bench-load bench-remote bench-search clean

help: ## list the tasks
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

$(SETUP_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,bench]'
	touch $@

setup: $(SETUP_STAMP) assets ## create the virtual environment and install the front-end assets

system-deps: ## install the Debian packages the tests use (needs root)
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing: $$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

ASSETS_STAMP := node_modules/.installed

# npm ci only when the lock file changed since the last install: `make serve` starts at once.
$(ASSETS_STAMP): package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

assets: $(ASSETS_STAMP) ## install the query UI from npm (served by the app, never fetched at run time)

serve: setup ## set up, validate and serve the graph on http://127.0.0.1:8000/
	$(BIN)/libassoc serve

test: setup system-deps ## set up and run the whole test suite
	$(BIN)/pytest

test-fast: setup ## the tests that need no external programs
	$(BIN)/pytest -m "not slow"

test-slow: setup system-deps ## only the tests that drive Chromium, Java clients and other stores
	$(BIN)/pytest -m slow

check: setup ## lint and type-check
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

validate: setup ## validate the shipped data against the shapes
	$(BIN)/libassoc validate

dumps: setup ## write every dump into dist/dumps
	$(BIN)/libassoc export --all dist/dumps

bench: setup ## benchmark libassoc against rdflib-endpoint; writes bench/RESULTS.md
	$(BIN)/python bench/run.py

# Sizes in synthetic triples; `make bench-scale SCALE_SIZES=100k,1m,10m` adds 10M.
SCALE_SIZES ?= 100k,1m
bench-scale: setup ## libassoc, Oxigraph and rdflib-endpoint at 100k and 1M triples (RESULTS.md, scale.png)
	$(BIN)/python bench/run.py --scale-sizes $(SCALE_SIZES)

bench-10m: setup ## libassoc alone at 10M triples: cold start, restart, RSS, writes, dump (RESULTS.md)
	$(BIN)/python bench/run.py --served 10m

bench-load: setup ## cheap queries, pages, dumps and expensive queries together for 60 s (RESULTS.md)
	$(BIN)/python bench/load.py

bench-remote: setup ## libassoc in front of Oxigraph server against Oxigraph alone, shipped and 100k (RESULTS.md)
	$(BIN)/python bench/remote.py

bench-search: setup ## the search index and /search at 100k and 1M, beside Oxigraph (RESULTS.md)
	$(BIN)/python bench/search.py

clean: ## remove the environment, the store and build outputs
	rm -rf $(VENV) var dist node_modules
