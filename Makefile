# microdir: `make demo` to run it with demo data, `make test` to run every test.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 5000
# Two processes, a test file on one of them (tests/conftest.py gives each its own database).
PYTEST_ARGS ?= -n 2 --dist loadfile
export FLASK_APP := microdir:create_app

.PHONY: demo test setup assets db bench bench-search bench-http lint clean relevance scale-check

$(VENV)/.installed: requirements.txt requirements-test.txt constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-test.txt -c constraints.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

static/build/microdir.css: node_modules/.installed static/scss/*.scss
	npm run -s build

assets: static/build/microdir.css

setup: $(VENV)/.installed assets

instance/config.py:
	$(PY) scripts/write_dev_config.py $@

db: setup instance/config.py
	$(PY) -m flask db upgrade
	$(PY) -m flask taxonomy seed
	$(PY) -m flask geo load --if-missing
	$(PY) -m flask demo load --if-empty
	$(PY) -m flask demo insights --if-empty
	$(PY) -m flask index seed-synonyms
	$(PY) -m flask index update

demo: db
	$(PY) -m flask demo accounts
	$(PY) -m flask run --port $(PORT)

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

bench: setup
	$(PY) bench/geo.py
	$(PY) bench/search.py --quick
	$(PY) bench/oruk.py

# Search speed, honestly: distinct queries, first-after-update apart, repeats apart, FTS5 interleaved.
# BENCH_ARGS=--quick for 10,000 listings only; --n 100000 for the national size alone.
bench-search: setup
	$(PY) bench/search.py $(BENCH_ARGS)

# The results page under load: gunicorn (2 workers) on a 10,000-service directory, 30 s of wrk over distinct
# search URLs; prints requests/s, p50/p99, errors and the page's weight. BENCH_ARGS=--n 2000 --seconds 10 for a quick look.
bench-http: setup
	$(PY) bench/http_load.py $(BENCH_ARGS)

# Two app nodes behind nginx, followers, RQ, 10,000 services on this machine's PostgreSQL and Redis: 7 checks.
# Needs Debian's nginx and wrk. SCALE_ARGS=--short for CI (2,000 services), --national for 100,000.
scale-check: setup
	$(PY) scripts/scale_check.py $(SCALE_ARGS)

relevance: setup
	$(PY) -m tests.search.relevance.run $(RELEVANCE_ARGS)

lint: setup
	$(VENV)/bin/ruff check microdir tests bench
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) node_modules static/build
