# Two targets matter: `make demo` (set up, then run the main job on the
# bundled data) and `make test` (set up, then run the whole test suite).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FONT_PACKAGES := fonts-wqy-zenhei fonts-hanazono
DEMO_OUT ?= demo-out

# Private keys are always stored encrypted. The demo and the tests use this
# throwaway passphrase unless you set your own; never use it for real keys.
export SKILLPASS_KEY_PASSPHRASE ?= demo-only-passphrase

.PHONY: demo test fonts lint clean

demo: $(BIN)/skillpass fonts
	$(BIN)/skillpass demo --out $(DEMO_OUT)

test: $(BIN)/skillpass fonts
	$(BIN)/pytest

lint: $(BIN)/skillpass
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy

$(BIN)/skillpass: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

# CJK TrueType fonts for the PDF: taken from the system when installed,
# otherwise Debian's packages are downloaded and unpacked under .cache/
# (no root needed). Elsewhere, point SKILLPASS_FONT_DIRS at such fonts.
fonts: .cache/fonts/.ready

.cache/fonts/.ready:
	@mkdir -p .cache/fonts .cache/debs
	@if [ -f /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc ] && \
	    [ -f /usr/share/fonts/truetype/hanazono/HanaMinB.ttf ]; then \
	  echo "fonts: using the system's WenQuanYi Zen Hei and Hanazono"; \
	else \
	  echo "fonts: downloading $(FONT_PACKAGES) from Debian"; \
	  cd .cache/debs && apt-get download $(FONT_PACKAGES) && cd ../.. && \
	  for deb in .cache/debs/*.deb; do dpkg-deb -x "$$deb" .cache/fonts; done; \
	fi
	@touch $@

clean:
	rm -rf $(VENV) .cache $(DEMO_OUT) .pytest_cache .mypy_cache .ruff_cache

# Benchmarks, not tests (see bench/README.md and docs/BENCHMARKS.md):
# `make bench` on SQLite, `make bench BENCH_DB=postgresql://…` on PostgreSQL.
BENCH_DB ?= sqlite

.PHONY: bench
bench: $(BIN)/skillpass
	$(BIN)/python -m bench.bulk_append --db $(BENCH_DB)
	$(BIN)/python -m bench.audit --db $(BENCH_DB)
	$(BIN)/python -m bench.proofs --db $(BENCH_DB)
	$(BIN)/python -m bench.append_scale --db $(BENCH_DB)
