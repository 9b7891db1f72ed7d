# citylake: `make demo` runs the lake end to end; `make test` runs the test suite.
# Both set up what is missing first (idempotent: seconds when already done).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
JARS := .citylake/jars

.PHONY: setup browser demo test stop lock clean

WEB_ASSETS := .citylake/web_assets

setup: $(VENV)/.installed $(JARS)/.resolved $(WEB_ASSETS)/.fetched

# Python packages: exactly the tested lock, then the project itself (editable, no dependency resolution).
$(VENV)/.installed: requirements.lock setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip==26.3 setuptools==84.2.1 wheel==0.48.0
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

# JARs: the pinned manifest infra/jars/pom.xml, resolved once from Maven Central into .citylake/jars.
$(JARS)/.resolved: infra/jars/pom.xml
	rm -rf $(JARS)
	mvn --quiet --batch-mode -f infra/jars/pom.xml dependency:copy-dependencies \
		-DexcludeTransitive=true -DoutputDirectory=$(abspath $(JARS))
	touch $@

# Data Docs' web assets (Bootstrap, jQuery, Vega, Font Awesome): pinned npm packages, checked against
# infra/web_assets/assets.lock (the manifest is jobs/reference/web_assets.tsv), so that Data Docs render offline.
$(WEB_ASSETS)/.fetched: jobs/reference/web_assets.tsv infra/web_assets/assets.lock infra/fetch_web_assets.py
	$(PYTHON) infra/fetch_web_assets.py $(WEB_ASSETS)
	touch $@

demo: setup
	infra/demo.sh

test: setup browser
	infra/test.sh

# The report tests open pages in a real headless browser: Debian's Chromium, installed once.
browser:
	@test -x /usr/bin/chromium || { \
		echo "installing Debian's chromium for the report tests"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends chromium; }

stop:
	infra/airflow.sh stop

# Refresh the lock after changing setup.cfg's pins: resolve in a scratch venv, then freeze.
lock:
	rm -rf /tmp/citylake-lock && $(PYTHON) -m venv /tmp/citylake-lock
	/tmp/citylake-lock/bin/pip install --quiet -e '.[test]'
	/tmp/citylake-lock/bin/pip freeze --exclude-editable | grep -v '^citylake' > requirements.lock

clean:
	infra/airflow.sh stop || true
	rm -rf .citylake/lake .citylake/inbox .citylake/reports .citylake/airflow build
