# 信访 legal-channel guidance bot. The two commands: `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV    := .venv
PY      := $(VENV)/bin/python
RASA    := $(VENV)/bin/rasa
STAMP   := $(VENV)/.installed
MODEL   := models/xinfang.tar.gz
KB_DB   := var/bot.db

# Everything the model is trained from: a change in any of them retrains.
TRAIN_INPUTS := config.yml domain.yml $(shell find data -name '*.yml' -not -path 'data/eval/*' 2>/dev/null) \
                $(wildcard knowledge/lexicon/jieba/*)
KB_INPUTS    := $(shell find knowledge -name '*.yaml' 2>/dev/null)

export PYTHONPATH := $(CURDIR)
export TF_CPP_MIN_LOG_LEVEL := 2
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export PYTHONWARNINGS := ignore::DeprecationWarning
export RASA_TELEMETRY_ENABLED ?= false

.PHONY: help setup knowledge train run test test-fast lint validate eval stories bench clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

setup: $(STAMP)  ## create .venv (Python 3.10) and install the pinned dependencies

$(STAMP): requirements.txt constraints.txt
	@if [ ! -x $(PY) ]; then \
	  py=$$(scripts/find_python310.sh) || exit 1; \
	  echo "creating $(VENV) with $$py"; \
	  "$$py" -m venv $(VENV) || { echo "venv failed: install the venv module for $$py"; exit 1; }; \
	fi
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade "pip==24.2"
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt -c constraints.txt
	@touch $@

knowledge: $(KB_DB)  ## validate knowledge/ and build the knowledge database

$(KB_DB): $(STAMP) $(KB_INPUTS) $(TRAIN_INPUTS) $(wildcard data/eval/dev.jsonl)
	$(PY) -m bot knowledge build
	$(PY) -m bot.triage.classifier
	@touch $@

train: $(MODEL)  ## train the Rasa model when its inputs changed

$(MODEL): $(STAMP) $(TRAIN_INPUTS)
	$(RASA) train --fixed-model-name xinfang --out models --quiet
	@touch $@

run: setup knowledge train  ## serve the bot on localhost (action server + Rasa server)
	@scripts/run.sh

validate: setup  ## rasa data validate
	$(RASA) data validate --fail-on-warnings --quiet

lint: setup  ## ruff
	$(VENV)/bin/ruff check .

test: setup  ## every test: lint, data validation, unit and end-to-end tests
	$(VENV)/bin/ruff check .
	$(RASA) data validate --fail-on-warnings --quiet
	$(PY) -m pytest -q

test-fast: setup  ## unit tests only (no training, no servers)
	$(PY) -m pytest -q -m "not e2e"

eval: setup train  ## triage: real corpus and dev out-of-fold, holdout, beside the baselines; NLU CV
	@if [ -f ../shared/corpus/real_dev.jsonl ]; then \
	  $(PY) -m bot evaluate ../shared/corpus/real_dev.jsonl --cv 5 --baseline keyword \
	    --report results/corpus > /dev/null && echo "real corpus (5-fold): results/corpus/report.md"; fi
	$(PY) -m bot evaluate data/eval/dev.jsonl --cv 5 --baseline keyword --baseline rasa --report results/eval
	$(PY) -m bot evaluate data/eval/holdout.jsonl --baseline keyword --baseline rasa \
	  --report results/holdout > /dev/null
	@echo "holdout: results/holdout/report.md"
	$(RASA) test nlu --nlu data/nlu --cross-validation --folds 3 --out results/nlu-cv --quiet
	@echo "NLU cross-validation: results/nlu-cv/"

stories: setup  ## re-record tests/test_stories.yml from tests/conversations.yml (needs `make run`)
	$(PY) scripts/record_test_stories.py

bench: setup  ## time one triage on one core (target < 30 ms), the classifier included
	$(PY) scripts/bench_triage.py

clean:  ## remove built files (not the venv)
	rm -rf models var .pytest_cache .ruff_cache
