# hookline: `make run` serves on http://127.0.0.1:3001, `make check` runs the linters, the type
# checker and the import contracts, `make test` runs the whole suite on SQLite and the
# server-level tests again on PostgreSQL.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Logto's Management API client for Node, which the tests run against hookline.
LOGTO_CLIENT := tests/logto_client

.PHONY: run check test bench clean

LOGTO_CLIENT_STAMP := $(LOGTO_CLIENT)/node_modules/.installed

# The receiver kit (receiver/) is a distribution of its own; its tests and the server's run
# against it installed here.
$(STAMP): pyproject.toml receiver/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]' -e './receiver[ed25519]'
	touch $(STAMP)

# Only the tests need Node.js: `make run` does not.
$(LOGTO_CLIENT_STAMP): $(LOGTO_CLIENT)/package-lock.json
	npm ci --prefix $(LOGTO_CLIENT) --no-audit --no-fund
	touch $(LOGTO_CLIENT_STAMP)

# Local development: webhooks may reach this machine (loopback), which the SSRF guard refuses otherwise.
run: $(STAMP)
	@echo "make run: allowing webhooks to loopback (HOOKLINE_ALLOW_PRIVATE_NETWORKS=127.0.0.0/8,::1/128)"
	HOOKLINE_ALLOW_PRIVATE_NETWORKS=$${HOOKLINE_ALLOW_PRIVATE_NETWORKS-127.0.0.0/8,::1/128} \
		$(BIN)/hookline serve

# Lint and format, types, and the boundaries of DESIGN.md as import contracts (pyproject.toml).
check: $(STAMP)
	$(BIN)/ruff check src tests receiver
	$(BIN)/ruff format --check src tests receiver
	$(BIN)/mypy src receiver/src
	$(BIN)/lint-imports

# Servers run on SQLite in one pass, and on PostgreSQL in a second; the storage tests cover
# both in the first. The passes run side by side, since both mostly wait on servers and
# receivers. The PostgreSQL pass is the shorter: the delivery tests' SQLite run follows it,
# rather than lengthen the first, so that both end about together. Its report follows the
# first's. Bytecode first, once: with PYTHONDONTWRITEBYTECODE set, each of the hundreds of
# processes the tests start would compile every module of hookline again.
SECOND_PASS := $(BIN)/pytest -q --backend postgresql tests/api tests/delivery tests/identity
test: $(STAMP) $(LOGTO_CLIENT_STAMP)
	@$(BIN)/python -m compileall -q src receiver/src
	@( echo "$(SECOND_PASS)"; $(SECOND_PASS); pg=$$?; \
	   echo "$(BIN)/pytest -q tests/delivery"; $(BIN)/pytest -q tests/delivery; delivery=$$?; \
	   test $$pg -eq 0 && test $$delivery -eq 0 ) > .pytest-postgresql.log 2>&1 & second=$$!; \
	echo "$(BIN)/pytest -q --ignore=tests/delivery"; \
	$(BIN)/pytest -q --ignore=tests/delivery; sqlite=$$?; \
	wait $$second; second=$$?; \
	cat .pytest-postgresql.log; \
	test $$sqlite -eq 0 && test $$second -eq 0

bench: $(STAMP)
	bench/ensure-servers
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info
