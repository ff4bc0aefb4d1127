# Two commands set everything up on a fresh machine:
#   make run   — the app on SQLite with demo data at http://127.0.0.1:5000
#   make test  — the whole test suite (SQLite; set TEST_DATABASE_URL for PostgreSQL)

VENV    ?= .venv
PYTHON  ?= python3
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.requirements-installed
HOST    ?= 127.0.0.1
PORT    ?= 5000
PYTEST_ARGS ?= -n 2 --dist loadgroup -q
BENCH_ARGS ?=
MUTATE_ARGS ?= --max-mutants 40
export FLASK_APP := wsgi.py

.PHONY: run test serve bench mutate venv system-deps translations messages check clean

$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $(STAMP)

venv: $(STAMP)

system-deps:
	./scripts/system-deps.sh $(SYSTEM_DEPS_ARGS)

translations: venv
	$(BIN)/pybabel compile --use-fuzzy -d translations 2>/dev/null || $(BIN)/pybabel compile -d translations

# After changing UI texts: extract them and merge into the English catalogue, then translate the
# new empty msgstr entries in translations/en/LC_MESSAGES/messages.po (tests/test_i18n.py lists them).
messages: venv
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k pgettext:1c,2 -k lazy_pgettext:1c,2 \
		--sort-by-file --no-location --omit-header -o translations/messages.pot supervision templates
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete
	rm translations/messages.pot

run: system-deps venv translations
	$(BIN)/flask db upgrade
	$(BIN)/flask seed demo
	@echo ""
	@echo "物业监管 is running at http://$(HOST):$(PORT)"
	@echo "Demo logins (password: supervision-demo): admin, officer, leader, street, company"
	@echo ""
	$(BIN)/flask run --host $(HOST) --port $(PORT)

test: SYSTEM_DEPS_ARGS = --browser
test: system-deps venv translations
	$(BIN)/python -m pytest $(PYTEST_ARGS)

serve: venv translations
	@test -n "$$DATABASE_URL" || (echo "Set DATABASE_URL, e.g. postgresql://user@host/db" && exit 1)
	$(BIN)/flask db upgrade
	@test -z "$$REDIS_URL" || echo "Jobs go to Redis: start workers beside the server with '$(BIN)/flask worker'."
	$(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

bench: system-deps venv translations
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# Mutation testing of the critical rules (slow, not part of `make test`): each mutant runs its
# target's covering tests; survivors need a test or an EQUIVALENT entry in scripts/mutate.py.
# MUTATE_ARGS="" runs every mutant (hours); e.g. MUTATE_ARGS="--target items --max-mutants 20".
mutate: venv translations
	$(BIN)/python scripts/mutate.py $(MUTATE_ARGS)

# Lint: ruff (rules in pyproject.toml) and bandit (security, medium severity and up). CI runs it before the tests.
check: venv
	$(BIN)/ruff check supervision tests bench scripts migrations wsgi.py gunicorn.conf.py
	$(BIN)/bandit -q -r supervision -ll -c pyproject.toml

clean:
	rm -rf $(VENV) .pytest_cache
