# The two commands: `make run` and `make test`. Each sets up what it needs.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/test
PORT ?= 8000

.PHONY: install run test test-postgres test-browser seed messages lint bench-public bench-imports bench-load bench-slow-paths bench-duplicates bench-downloads

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

# Migrate, load the seed dataset into an empty database, print the demo logins, serve
# (on another port with `make run PORT=8001`).
run: install
	$(PY) manage.py migrate --no-input
	$(PY) manage.py setup_demo
	$(PY) manage.py demo_accounts --port $(PORT)
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

# axe-core, for the browser tests' accessibility checks (npm registry).
AXE := tests/browser/node_modules/axe-core/axe.min.js
$(AXE): tests/browser/package.json tests/browser/package-lock.json
	npm ci --prefix tests/browser --no-audit --no-fund --silent
	touch $@

# The whole suite on SQLite, or on $DATABASE_URL when it is set.
test: install $(AXE)
	$(PY) -m pytest

test-postgres: install
	DATABASE_URL=$(POSTGRES_URL) $(PY) -m pytest -m "not browser"

test-browser: install $(AXE)
	$(PY) -m pytest -m browser

# Rebuild fixtures/seed.json from the articles in ../shared/seeds.
seed: install
	$(PY) fixtures/curate_seed.py

# Extract and compile the interface translations (needs gettext's msgfmt).
messages: install
	$(PY) manage.py makemessages -l vi --ignore=.venv --ignore=tests --ignore=fixtures
	$(PY) manage.py compilemessages -l vi --ignore=.venv

# Public site on 100,000 agreements: page times, download memory, wrk against Datasette.
bench-public: install
	$(PY) -m pip install --quiet -e '.[test,bench]'
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(PY) bench/public_site.py

# Import 100,000 agreement rows (and export them): against django-import-export and bulk_create.
bench-imports: install
	$(PY) -m pip install --quiet -e '.[test,bench]'
	$(PY) bench/imports.py

# Public pages under wrk for 60 s, alone and while 20,000-row imports run; SQLite and PostgreSQL.
bench-load: install
	$(PY) -m pip install --quiet -e '.[test,bench]'
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(PY) bench/load.py

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

# Unknown-name suggestions, bulk Verify and citation imports against same-run baselines.
bench-slow-paths: install
	$(PY) bench/slow_paths.py

# Duplicate warnings: precision and recall on the seed's labelled pairs, and their cost in an import.
bench-duplicates: install
	$(PY) bench/duplicates.py

# Public CSV and JSON downloads of 100,000 agreements, against the admin's export; both databases.
bench-downloads: install
	$(PY) bench/downloads.py
