# Candor: `make run` to start the assistant, `make test` to run every check.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV      := .venv
PY        := $(VENV)/bin/python
RASA      := $(VENV)/bin/rasa
MODEL     := models/candor.tar.gz
STAMP     := $(VENV)/.installed-lock
# The PII benchmark's data generator (presidio-evaluator) needs Python 3.11+ and pydantic 2:
# its own venv, never imported by Candor.
BENCH_VENV  := .venv-bench
BENCH_STAMP := $(BENCH_VENV)/.installed
EVALUATOR_SAMPLES := results/bench/evaluator.jsonl
CHROMIUM  := /usr/bin/chromium
# A third-party web client the socket.io channel must keep working with (browser test).
WEBCHAT_VERSION := 1.0.1
WEBCHAT_JS := .cache/rasa-webchat-$(WEBCHAT_VERSION)/lib/index.js
export CANDOR_WEBCHAT_JS := $(CURDIR)/$(WEBCHAT_JS)
export CANDOR_DATA_DIR ?= $(CURDIR)/var
export CANDOR_PORT ?= 5005
export CANDOR_ACTIONS_PORT ?= 5055
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export PYTHONDONTWRITEBYTECODE := 1

TRAINING_INPUTS := config.yml domain.yml $(shell find data -name '*.yml') \
                   $(wildcard bot/guardrails/*.py) $(wildcard bot/pii/*.py) bot/language.py bot/nlu_language.py \
                   bot/nlu_uncertainty.py bot/nlu_component.py bot/nlu_spelling.py

.PHONY: help setup run run-cluster cluster-packages shell train augment validate lint test test-unit test-pii test-stories test-nlu test-e2e test-cluster audit bench bench-pii bench-nlu bench-languages lock clean

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

$(STAMP): requirements.lock
	@py=$$(scripts/find-python310) || exit 1; \
	  if [ ! -x $(PY) ]; then echo "Creating $(VENV) with $$py"; "$$py" -m venv $(VENV); fi
	$(PY) -m pip install --quiet --require-hashes -r requirements.lock
	@touch $@

setup: $(STAMP) ## create .venv from requirements.lock, the data dir and its fake orders
	@$(PY) -m bot setup

$(MODEL): $(STAMP) $(TRAINING_INPUTS)
	$(RASA) train --fixed-model-name candor --out models
	@touch $@

train: $(MODEL) ## train the model if data, config or domain changed

augment: $(STAMP) ## regenerate data/nlu/generated/noise.yml (typos and other noise) from the hand-written NLU data
	$(PY) scripts/augment_nlu.py

run: setup $(MODEL) ## set up if needed, train if needed, start the assistant (Ctrl-C stops)
	@exec $(PY) -m bot run

# The cluster's services, from Debian's packages when missing (PostgreSQL is looked for in
# Debian's versioned folder too).
CLUSTER_PACKAGES := postgresql redis-server rabbitmq-server nginx
cluster-packages:
	@missing=""; \
	  { command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; } || missing="$$missing postgresql"; \
	  command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	  { command -v rabbitmq-server >/dev/null || [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ]; } || missing="$$missing rabbitmq-server"; \
	  command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing="$$missing nginx"; \
	  if [ -n "$$missing" ]; then \
	    echo "Installing Debian's$$missing for the cluster"; \
	    if [ "$$(id -u)" = 0 ]; then sudo=""; elif command -v sudo >/dev/null; then sudo=sudo; \
	    else echo "Need root to run: apt-get install$$missing" >&2; exit 1; fi; \
	    $$sudo apt-get update -qq && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	      --no-install-recommends$$missing >/dev/null || exit 1; \
	    for service in $$missing; do \
	      $$sudo service $$service stop >/dev/null 2>&1 || true; done; \
	  fi

run-cluster: setup $(MODEL) cluster-packages ## two servers behind nginx on PostgreSQL, Redis, RabbitMQ (loopback; Ctrl-C stops all)
	@PATH="$$PATH:/usr/sbin" exec $(PY) -m bot run-cluster

shell: setup $(MODEL) ## chat in the terminal (rasa shell) with the action server running
	@exec $(PY) -m bot shell

validate: $(STAMP) ## validate policies/ and the Rasa training data
	$(PY) -m bot check
	$(RASA) data validate --fail-on-warnings

lint: $(STAMP) ## static checks for bugs (ruff: pyflakes, syntax, mutable defaults)
	$(VENV)/bin/ruff check bot actions tests

test-unit: $(STAMP)
	$(PY) -m pytest -m "not e2e and not outside_data and not cluster" tests

$(BENCH_STAMP): tests/bench/requirements-evaluator.lock
	@py=$$(scripts/find-python-bench) || exit 1; \
	  if [ ! -x $(BENCH_VENV)/bin/python ]; then echo "Creating $(BENCH_VENV) with $$py"; "$$py" -m venv $(BENCH_VENV); fi
	$(BENCH_VENV)/bin/python -m pip install --quiet --no-deps -r tests/bench/requirements-evaluator.lock
	@touch $@

$(EVALUATOR_SAMPLES): $(BENCH_STAMP) tests/bench/evaluator_samples.py
	$(BENCH_VENV)/bin/python tests/bench/evaluator_samples.py --out $@

test-pii: $(STAMP) $(EVALUATOR_SAMPLES) ## never mask less than vanilla Presidio, on data we did not write
	$(PY) -m pytest -m outside_data tests

test-stories: $(MODEL)
	$(RASA) test core --model $(MODEL) --stories tests/test_stories.yml \
	  --fail-on-prediction-errors --out results/stories

test-nlu: $(MODEL)
	rm -rf results/nlu results/nlu_nl
	$(RASA) test nlu --model $(MODEL) --nlu tests/nlu/holdout.yml --out results/nlu
	$(RASA) test nlu --model $(MODEL) --nlu tests/nlu/holdout_nl.yml --out results/nlu_nl
	$(PY) tests/nlu_recall.py results/nlu/intent_report.json results/nlu_nl/intent_report.json

# The agent console's browser test drives Debian's chromium (Playwright cannot download one).
$(CHROMIUM):
	@echo "Installing Debian's chromium for the agent console's browser test"
	@if [ "$$(id -u)" = 0 ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	elif command -v sudo >/dev/null; then \
	  sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "Need root to run: apt-get install chromium" >&2; exit 1; fi

$(WEBCHAT_JS):
	@mkdir -p .cache/npm $(dir $(WEBCHAT_JS))
	@echo "Fetching rasa-webchat $(WEBCHAT_VERSION) from the npm registry for the web client's browser test"
	cd .cache/npm && npm pack --silent rasa-webchat@$(WEBCHAT_VERSION) >/dev/null
	tar -xzf .cache/npm/rasa-webchat-$(WEBCHAT_VERSION).tgz -C .cache/rasa-webchat-$(WEBCHAT_VERSION) \
	  --strip-components=1 package/lib/index.js
	@touch $@

audit: $(MODEL) ## fairness audit: flip rates per name origin, gender, origin/religion; report + chart
	$(PY) -m bot audit

test-e2e: $(MODEL) $(CHROMIUM) $(WEBCHAT_JS) ## end-to-end: real servers over HTTP, the desk, the console and rasa-webchat in chromium
	$(PY) -m pytest -m e2e tests

test-cluster: $(MODEL) cluster-packages ## across servers: make run-cluster's PostgreSQL, Redis, RabbitMQ, nginx, two servers
	PATH="$$PATH:/usr/sbin" $(PY) -m pytest -m cluster tests

test: setup ## set up if needed and run every check: lint, unit, PII, validate, train, stories, NLU, end to end
	$(MAKE) lint
	$(MAKE) test-unit
	$(MAKE) test-pii
	$(MAKE) validate
	$(MAKE) train
	$(MAKE) test-stories
	$(MAKE) test-nlu
	$(MAKE) audit
	$(MAKE) test-e2e
	$(MAKE) test-cluster

bench: setup $(MODEL) cluster-packages ## load benchmark over REST: Candor (guardrails on, masking off, the cluster) against a stock rasa init assistant
	PATH="$$PATH:/usr/sbin" $(PY) -m tests.bench.bench_load --masking-off --cluster

bench-nlu: $(MODEL) ## served / safe / wrong on outside requests (CLINC150, RasaHQ retail demo), per writing style and intent
	$(PY) -m tests.bench.bench_nlu

bench-languages: $(MODEL) ## one bilingual NLU model vs one per language, on the held-out sets
	$(PY) -m tests.bench.bench_languages

bench-pii: $(STAMP) $(EVALUATOR_SAMPLES) ## PII benchmark: vanilla Presidio vs Candor on outside and own data
	$(PY) -m tests.bench.bench_pii --evaluator $(EVALUATOR_SAMPLES)

lock: ## re-resolve requirements.in into requirements.lock (pinned, with hashes)
	@scripts/lock

clean: ## remove the venvs, models and test results (not the data dir)
	rm -rf $(VENV) $(BENCH_VENV) models results .rasa
