# The two commands a newcomer needs: `make run` and `make test`.
#
# Both install exactly the versions in uv.lock into .venv (checked against their hashes; a lock
# that no longer matches pyproject.toml is an error), with uv, pinned below and installed into
# .tools/ by the machine's own Python. `make upgrade` moves the lock to the newest versions
# pyproject.toml allows.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TOOLS := .tools
UV_VERSION := 0.13.9
UV := $(TOOLS)/bin/uv
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
# The interpreter .venv is made from; never one uv would download.
export UV_PYTHON := $(PYTHON)
export UV_PYTHON_DOWNLOADS := never
SYNC := $(UV) sync --locked

.PHONY: run test lint typecheck fuzz bench soak upgrade console-assets docs-assets clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet uv==$(UV_VERSION)

$(STAMP): pyproject.toml clients/python/pyproject.toml uv.lock | $(UV)
	$(SYNC) --no-dev
	touch $@

$(DEV_STAMP): pyproject.toml clients/python/pyproject.toml uv.lock | $(UV)
	$(SYNC)
	touch $@ $(STAMP)

run: $(STAMP)
	$(BIN)/leadblock serve

lint: $(DEV_STAMP)
	$(BIN)/ruff check src tests bench examples clients/python
	$(BIN)/ruff format --check src tests bench examples clients/python

typecheck: $(DEV_STAMP)
	$(BIN)/mypy

test: lint typecheck
	$(BIN)/pytest

# Schemathesis against a live server on each backend, every check, with far more examples per
# operation than `make test` runs (tests/api/test_fuzz.py; LEADBLOCK_FUZZ_SEED for another seed).
FUZZ_EXAMPLES ?= 1000
fuzz: $(DEV_STAMP)
	LEADBLOCK_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest tests/api/test_fuzz.py

bench: $(DEV_STAMP)
	$(SYNC) --group bench
	$(BIN)/python -m bench

soak: $(DEV_STAMP)
	$(BIN)/python -m bench.soak

# The console's front-end library, vendored into the package (no CDN at run time): fetched
# from the npm registry at a pinned version and checked against its recorded digest.
HTMX_VERSION := 2.0.11
HTMX_SHA256 := d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717
console-assets:
	rm -rf .vendor && mkdir .vendor
	cd .vendor && npm pack --silent htmx.org@$(HTMX_VERSION) >/dev/null && tar xzf htmx.org-$(HTMX_VERSION).tgz
	echo "$(HTMX_SHA256)  .vendor/package/dist/htmx.min.js" | sha256sum --check --quiet
	cp .vendor/package/dist/htmx.min.js src/leadblock/console/static/htmx.min.js
	rm -rf .vendor

# Swagger UI for /docs, vendored the same way so the API docs work offline and under a strict
# CSP: the files below from npm's swagger-ui-dist, each checked against its recorded digest.
# (Shares .vendor/ with console-assets: do not run both at once with make -j.)
SWAGGER_UI_VERSION := 5.35.0
SWAGGER_UI_FILES := swagger-ui-bundle.js swagger-ui.css favicon-32x32.png LICENSE NOTICE \
	swagger-ui-bundle.js.LICENSE.txt
SWAGGER_UI_SHA256 := \
	e6a898692f2d768e807c3ba4626068a69a2c5dd960dd6c76f3e4d3a3de180af2  swagger-ui-bundle.js \
	5ed08757e53da3e026d6cbecc61fe5d43585c9560b302d534ad56692519a273d  swagger-ui.css \
	3ed612f41e050ca5e7000cad6f1cbe7e7da39f65fca99c02e99e6591056e5837  favicon-32x32.png \
	cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30  LICENSE \
	0d20d1adef18aee3f40dd258172155521ce702ac445cb5f7b7d60ed32dad2fb2  NOTICE \
	37eb6e7e59aed57b2c1acf076574b818ea07b74265717e0bd67b59e0baf9abbb  swagger-ui-bundle.js.LICENSE.txt
DOCS_STATIC := src/leadblock/web/docs_static
docs-assets:
	rm -rf .vendor && mkdir .vendor
	cd .vendor && npm pack --silent swagger-ui-dist@$(SWAGGER_UI_VERSION) >/dev/null && tar xzf swagger-ui-dist-$(SWAGGER_UI_VERSION).tgz
	cd .vendor/package && printf '%s  %s\n' $(SWAGGER_UI_SHA256) | sha256sum --check --strict --quiet
	mkdir -p $(DOCS_STATIC)
	cd .vendor/package && cp $(SWAGGER_UI_FILES) $(CURDIR)/$(DOCS_STATIC)/
	rm -rf .vendor

# Newest versions pyproject.toml allows, into uv.lock and .venv; run `make test` before committing it.
upgrade: | $(UV)
	$(UV) lock --upgrade
	$(SYNC)
	touch $(DEV_STAMP) $(STAMP)

clean:
	rm -rf $(VENV) $(TOOLS) .pytest_cache .mypy_cache .ruff_cache
