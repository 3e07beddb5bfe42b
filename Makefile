# caseflow — the two commands: `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi

APT_RUN := fonts-noto-cjk libharfbuzz-subset0 poppler-utils python3-venv
APT_TEST := chromium
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
HOST ?= 127.0.0.1
PORT ?= 5000
# the address in mails and proposers' personal links: where this server is reached, unless set
# (listening on every interface, 0.0.0.0, it is reached at the machine's first address)
PUBLIC_HOST := $(if $(filter 0.0.0.0,$(HOST)),$(shell hostname -I 2>/dev/null | cut -d' ' -f1),$(HOST))
export BASE_URL ?= http://$(PUBLIC_HOST):$(PORT)

.PHONY: run test mutate apt-run apt-test postgres translations

run: apt-run $(BIN)/.run-deps translations
	$(BIN)/flask db upgrade
	$(BIN)/flask stats rebuild --missing
	$(BIN)/flask holidays import
	$(BIN)/flask seed-demo
	@echo
	@echo "caseflow: $(BASE_URL)/  (上面列出了演示账号和密码)"
	@# the web server and the scheduler (reminders, background jobs) side by side; Ctrl-C (or either one
	@# ending) stops both.
	@trap 'kill $$web $$scheduler 2>/dev/null' INT TERM; \
	$(BIN)/flask scheduler & scheduler=$$!; \
	$(BIN)/gunicorn --config gunicorn.conf.py --bind $(HOST):$(PORT) --access-logfile - wsgi:app & web=$$!; \
	wait -n; kill $$web $$scheduler 2>/dev/null; wait

# Two passes, SQLite then PostgreSQL, each in a random order (pytest prints "Using
# --randomly-seed=N": pass that option to replay it) on two workers; the browser tests on one (they
# share a live server). Branch coverage of both non-browser passes together is printed for the
# modules that hold the rules: services, the rule book, statistics and facts, deadlines, the
# importer (PostgreSQL's own SQL — COPY, its date functions, ANALYZE — runs only in the second).
# The route fuzz sends 7,000 requests in the first pass and 3,000 in the second (10,000 in all),
# to stay within the 15 minutes the whole run may take on 2 cores.
COVERED := caseflow/services/*,caseflow/workflow/*,caseflow/stats.py,caseflow/facts.py,caseflow/deadlines.py,caseflow/import*.py,caseflow/sheet_reader.py
# only these modules are traced, so the web layer (most of the fuzz's work) runs untraced
COV := --cov-branch --cov-report= $(foreach m,caseflow/services caseflow/workflow caseflow.stats caseflow.facts caseflow.deadlines caseflow.import_template caseflow.import_values caseflow.sheet_reader,--cov=$(m))
test: apt-run apt-test $(BIN)/.test-deps translations postgres
	FUZZ_REQUESTS=7000 $(BIN)/python -m pytest -n 2 -m "not browser" $(COV)
	$(BIN)/python -m pytest -m browser
	TEST_DATABASE_URL=$(PG_URL) FUZZ_REQUESTS=3000 $(BIN)/python -m pytest -n 2 -m "not browser" $(COV) --cov-append
	$(BIN)/coverage report --include='$(COVERED)' --skip-empty
	TEST_DATABASE_URL=$(PG_URL) $(BIN)/python -m pytest -m browser tests/browser/test_lifecycle.py

# Mutation testing, outside `make test` (it takes long): mutmut per module with the tests that cover
# it, killed/survived per module to benchmarks/results/mutation.json (benchmarks/mutation.py).
# MUTATE=deadlines runs one module.
MUTATE ?= deadlines stats workflow services
mutate: $(BIN)/.mutate-deps translations
	$(BIN)/python -m benchmarks.mutation $(MUTATE)

$(BIN)/.mutate-deps: requirements-mutate.txt $(BIN)/.test-deps
	$(BIN)/pip install -q -r requirements-mutate.txt
	touch $@

# Debian packages, installed only when missing (apt-get update only then, too). When another apt
# process holds the locks, wait up to 10 minutes instead of failing at once: install waits for the
# dpkg lock itself (DPkg::Lock::Timeout); update ignores that option for its lists lock, so it is
# retried while the lock is held.
APT_GET := apt-get -o DPkg::Lock::Timeout=600
apt-run apt-test:
	@pkgs="$(if $(filter apt-run,$@),$(APT_RUN),$(APT_TEST))"; missing=""; \
	for p in $$pkgs; do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  for i in $$(seq 120); do \
	    out=$$($(APT_GET) update -q 2>&1) && break; \
	    echo "$$out" | grep -q 'Could not get lock' || { echo "$$out"; exit 1; }; \
	    [ $$i = 1 ] && echo 'apt-get update: another apt process holds the lock, waiting'; sleep 5; \
	  done; \
	  DEBIAN_FRONTEND=noninteractive $(APT_GET) install -y -q --no-install-recommends $$missing; \
	fi

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11+ needed"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(BIN)/.run-deps: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(BIN)/.test-deps: requirements.txt requirements-test.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements-test.txt
	touch $@ $(BIN)/.run-deps

# the local PostgreSQL cluster must be up for the second test run
postgres:
	@pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect 15 main start
	@for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && exit 0; sleep 1; done; \
	  echo "PostgreSQL on 127.0.0.1:5432 did not come up"; exit 1

# the English catalog (msgids are the Chinese UI strings); the .mo files are build output
translations: $(BIN)/.run-deps
	$(BIN)/pybabel -q compile -d caseflow/translations
