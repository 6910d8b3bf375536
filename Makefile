# Passerelle — everything a fresh Debian machine needs, as root with only Python present.
# .venv is installed from requirements/lock.txt (exact versions, with hashes); `make lock` remakes the
# lock, `make test-latest` runs the suite on the newest versions the pyproject ranges allow instead.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
LOCK   := requirements/lock.txt
LATEST := .venv-latest
TOOLS  := .venv-tools
UV_VERSION := 0.13.9
# pytest-xdist workers (auto: one per core; on 2 cores no other count measured faster); work stealing,
# and tests marked slow start first (tests/conftest.py), so no long test runs alone at the end
WORKERS ?= auto
PYTEST  := -m pytest -q -n $(WORKERS) --dist worksteal
APT_PACKAGES := unixodbc libsqliteodbc postgresql odbc-postgresql chromium rabbitmq-server

.PHONY: all test test-latest lock demo demo-cluster validate bench schema clean system-deps

all: test

# ODBC tests need the unixODBC driver manager, the SQLite ODBC driver, and PostgreSQL with its ODBC driver
# (installed when missing): the tests start their own temporary PostgreSQL cluster (tests/odbc/pg_support.py)
# as the postgres user; with CI=true or PASSERELLE_REQUIRE_PG=1 a missing PostgreSQL fails them instead of
# skipping them. chromium renders the HTML mapping document in tests/test_docs_command_browser.py (a missing
# chromium fails it under CI=true, skips it elsewhere). rabbitmq-server: the RabbitMQ webhook queue is tested
# against a real broker, which the tests start themselves in a temporary folder on free ports
# (tests/rabbitmq_support.py; its service, if the package starts one, is not used) — missing, it fails
# them under CI=true and skips them elsewhere.
system-deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    echo "installing:$$missing"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null) \
	      || echo "warning: could not install$$missing (the tests needing them will be skipped)"; \
	  else echo "warning: missing system packages:$$missing (the tests needing them will be skipped)"; fi; \
	fi

# A new .venv whenever the lock or a pyproject changes: the locked versions (runtime, test and cluster extras,
# build backend) checked against their hashes, then the two local packages, editable, on top.
$(STAMP): $(LOCK) pyproject.toml sandbox/pyproject.toml
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes -r $(LOCK)
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e . -e ./sandbox
	$(PY) -m pip check
	touch $(STAMP)

test: system-deps $(STAMP)
	$(PY) $(PYTEST)

# The same suite on the newest releases the ranges in the pyproject files allow (no lock), in a
# separate venv made anew each time: tells whether the lock can move forward.
test-latest: system-deps
	rm -rf $(LATEST)
	$(PYTHON) -m venv $(LATEST)
	$(LATEST)/bin/python -m pip install --quiet --upgrade pip
	$(LATEST)/bin/python -m pip install --quiet --upgrade --upgrade-strategy eager -e '.[test,cluster]' -e ./sandbox
	@$(LATEST)/bin/python -c "$$NEWER_THAN_LOCK" $(LOCK)
	$(LATEST)/bin/python $(PYTEST)

# Re-resolves the lock from pyproject.toml, sandbox/pyproject.toml and requirements/build.in, keeping
# the locked versions that still fit; `make lock UPGRADE=1` moves everything to the newest allowed.
lock:
	test -x $(TOOLS)/bin/uv || ($(PYTHON) -m venv $(TOOLS) && $(TOOLS)/bin/python -m pip install --quiet uv==$(UV_VERSION))
	$(TOOLS)/bin/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes \
	  --no-header $(if $(UPGRADE),--upgrade) --extra test --extra cluster \
	  pyproject.toml sandbox/pyproject.toml requirements/build.in -o $(LOCK)
	{ echo "$$LOCK_HEADER"; cat $(LOCK); } > $(LOCK).new && mv $(LOCK).new $(LOCK)

define LOCK_HEADER
# Exact versions, with hashes, of everything .venv gets: the runtime dependencies of passerelle and
# passerelle-sandbox, the `test` and `cluster` extras, and the build backend (requirements/build.in), so that
# `pip install --require-hashes -r requirements/lock.txt` then `pip install --no-deps
# --no-build-isolation -e . -e ./sandbox` need nothing else (what `make test` and `make demo` do).
# Made by `make lock` (uv $(UV_VERSION): uv pip compile --universal --generate-hashes --extra test --extra cluster
# pyproject.toml sandbox/pyproject.toml requirements/build.in); `make lock UPGRADE=1` takes the newest
# versions the ranges allow. Do not edit by hand: change the pyproject ranges, then `make lock`.
endef
export LOCK_HEADER

# Prints the installed versions that differ from the lock (for test-latest).
define NEWER_THAN_LOCK
import re, sys
from importlib.metadata import distributions
norm = lambda name: re.sub(r"[-_.]+", "-", name).lower()
locked = dict(re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^ ;\\]+)", open(sys.argv[1]).read(), re.M))
locked = {norm(k): v for k, v in locked.items()}
lines = []
for dist in sorted(distributions(), key=lambda d: norm(d.metadata["Name"])):
    name = norm(dist.metadata["Name"])
    if name in locked and locked[name] != dist.version:
        lines.append(f"  {name} {dist.version} (lock: {locked[name]})")
    elif name not in locked and name not in ("passerelle", "passerelle-sandbox", "pip"):
        lines.append(f"  {name} {dist.version} (not in the lock)")
print(f"versions that differ from {sys.argv[1]}:", *(lines or ["  none"]), sep="\n")
endef
export NEWER_THAN_LOCK

# The main job end to end against the built-in simulators: PrestaShop orders to Sage 100 with
# acknowledgements, prices and stock from Sage to the shop; then the Sage 100 <-> Shopify example
# (find-or-create, two acknowledgements, grouping, fan-out); then a dry-run of the example samples.
demo: $(STAMP)
	$(PY) -m engine validate specs/
	$(PY) -m engine.cli.demo
	@echo
	@echo "== the Sage 100 <-> Shopify example (specs/examples/sage100-shopify)"
	$(PY) -m engine.cli.demo_shopify
	@echo
	@echo "== dry-run of the reference example on its sample files (nothing is sent); first payload:"
	@$(PY) -m engine dry-run specs/examples/prestashop-sage100 --flow orders_to_sage \
	  --input specs/examples/prestashop-sage100/samples/orders.xml \
	  --input specs/examples/prestashop-sage100/samples/order_details.xml \
	  --input specs/examples/prestashop-sage100/samples/carriers.xml \
	  --input specs/examples/prestashop-sage100/samples/customers.xml \
	  --input specs/examples/prestashop-sage100/samples/taxes.xml > .demo-dry-run.txt; \
	  code=$$?; sed -n '1,/^}/p' .demo-dry-run.txt; rm -f .demo-dry-run.txt; \
	  if [ $$code -eq 3 ]; then echo "(order 1047 uses a 19.6 % tax rate missing from the strict tax" \
	    "table: it is set aside with its reason while the other orders go through)"; \
	  elif [ $$code -ne 0 ]; then exit $$code; fi

# Many client projects on several workers: a PostgreSQL started for the demo (jobs and run state),
# 20 projects generated from the prestashop-sage100 template against their own simulators, a
# scheduler and 3 workers (one killed and restarted midway), the status table printed as they run.
demo-cluster: system-deps $(STAMP)
	$(PY) -m engine.cli.demo_cluster

validate: $(STAMP)
	$(PY) -m engine validate specs/

schema: $(STAMP)
	$(PY) -m engine schema --write

bench: system-deps $(STAMP)
	$(PY) bench/mapping.py
	$(PY) bench/expand.py
	$(PY) bench/validate.py
	$(PY) bench/startup.py
	$(PY) bench/decode.py
	$(PY) bench/extract.py
	$(PY) bench/dryrun_scale.py
	$(PY) bench/sync.py
	$(PY) bench/sync.py --concurrency
	$(PY) bench/run_scale.py --sizes 2000,20000
	$(PY) bench/reload.py
	$(PY) bench/odbc.py
	$(PY) bench/cluster.py
	$(PY) bench/catalogue.py
	$(PY) bench/files.py
	$(PY) bench/webhooks.py --amqp
	$(PY) bench/crash_long.py --kills 20

clean:
	rm -rf $(VENV) $(LATEST) $(TOOLS) .pytest_cache .hypothesis build dist *.egg-info sandbox/build sandbox/*.egg-info
